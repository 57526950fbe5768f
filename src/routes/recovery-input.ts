import { ValidationError } from "../errors";

/** How far back a recovery may reach: the delivery log's retention (14 days by default). */
export const RECOVERY_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;
/** Clock skew forgiven on `since` (a client that asks for exactly 14 days, a little earlier). */
const SKEW_MS = 60 * 1000;

/** ISO 8601: a date (midnight UTC), or a date and time with `Z` or an offset. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?))?$/i;

function parseTime(value: unknown): Date | null {
  if (typeof value !== "string" || !ISO_8601.test(value.trim())) return null;
  let text = value.trim().replace(",", ".").replace(" ", "T");
  // Date.parse wants `+hh:mm`; ISO 8601 also allows `+hhmm` and `+hh`.
  text = text.replace(/([+-]\d{2})(\d{2})$/, "$1:$2").replace(/([+-]\d{2})$/, "$1:00");
  const time = Date.parse(text);
  return Number.isNaN(time) ? null : new Date(time);
}

const blank = (value: unknown) => value === undefined || value === null || value === "";

/**
 * `{since, until?}` of `POST …/recover` (or wrapped: `{"recovery": {...}}`), as Chatwoot-shaped
 * 422s: `since` is required and at most 14 days back; `until` defaults to now, may not precede
 * `since`, and is cut at now (nothing was created later).
 */
export function parseRecoveryRange(body: unknown, now: Date): { since: Date; until: Date } {
  const source = (isObject(body) && isObject(body.recovery) ? body.recovery : isObject(body) ? body : {}) as Record<string, unknown>;
  const failures: Array<{ attribute: string; message: string; reason?: string }> = [];
  const since = parseTime(source.since);
  const until = blank(source.until) ? now : parseTime(source.until);
  if (blank(source.since)) failures.push({ attribute: "since", message: "Since can't be blank", reason: "an ISO 8601 time, e.g. 2026-03-03T10:00:00Z" });
  else if (since === null) failures.push({ attribute: "since", message: "Since is invalid", reason: "an ISO 8601 date, or a time with Z or an offset, e.g. 2026-03-03T10:00:00Z" });
  else if (since.getTime() < now.getTime() - RECOVERY_MAX_AGE_MS - SKEW_MS) {
    failures.push({ attribute: "since", message: "Since must be within the last 14 days", reason: "older deliveries are past the delivery log's retention" });
  }
  if (until === null) failures.push({ attribute: "until", message: "Until is invalid", reason: "an ISO 8601 date, or a time with Z or an offset, e.g. 2026-03-03T12:00:00Z" });
  else if (since !== null && until.getTime() < since.getTime()) failures.push({ attribute: "until", message: "Until must be after since" });
  if (failures.length > 0) throw new ValidationError(failures);
  const end = (until as Date).getTime() > now.getTime() ? now : (until as Date);
  return { since: since as Date, until: end };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
