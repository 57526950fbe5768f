import { ValidationError } from "../errors";
import type { RotationRow } from "./secret-rotation-queries";

/** How long the previous secret stays valid when the request does not say: 24 hours. */
export const DEFAULT_OVERLAP_SECONDS = 24 * 60 * 60;
/** The longest overlap a rotation may ask for: 7 days. */
export const MAX_OVERLAP_SECONDS = 7 * 24 * 60 * 60;

/** A secret's last rotation as the API shows it (ours; Chatwoot has no rotation). */
export interface SecretRotationJson {
  rotated_at: string;
  /** The user who rotated it (`userId` of the authentication), or null when unknown. */
  rotated_by_id: number | null;
  /** When the previous secret stops (or stopped) being signed with; null for a rotation without overlap. */
  overlap_ends_at: string | null;
  /** Whether deliveries are signed with the previous secret too, now. */
  overlap_active: boolean;
}

/** The rotation of a row, or null when its secret was never rotated. */
export function secretRotationJson(row: RotationRow, now: Date): SecretRotationJson | null {
  if (row.secret_rotated_at === null) return null;
  const endsAt = row.previous_secret_expires_at === null ? null : new Date(row.previous_secret_expires_at);
  return {
    rotated_at: new Date(row.secret_rotated_at).toISOString(),
    rotated_by_id: row.secret_rotated_by_id,
    overlap_ends_at: endsAt === null ? null : endsAt.toISOString(),
    overlap_active: row.previous_secret !== null && endsAt !== null && endsAt.getTime() > now.getTime(),
  };
}

const OVERLAP_INVALID = `Overlap seconds must be a whole number from 0 to ${MAX_OVERLAP_SECONDS}`;

/**
 * `overlap_seconds` from a rotation's body: absent, null or "" (or no body at all) means the
 * default; otherwise a whole number of seconds (a digit string too, as forms send it) from 0, no
 * overlap, to {@link MAX_OVERLAP_SECONDS}. Anything else is Chatwoot's 422 shape.
 */
export function parseOverlapSeconds(body: unknown): number {
  const fields = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const raw = fields.overlap_seconds;
  if (raw === undefined || raw === null || raw === "") return DEFAULT_OVERLAP_SECONDS;
  const value = typeof raw === "string" && /^\d{1,7}$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_OVERLAP_SECONDS) {
    throw new ValidationError([{ attribute: "overlap_seconds", message: OVERLAP_INVALID }]);
  }
  return value;
}
