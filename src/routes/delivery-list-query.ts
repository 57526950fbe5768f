import { ValidationError } from "../errors";
import type { DeliveryStatus } from "../types";

/** Deliveries per page when `per_page` is not given. */
export const DEFAULT_PER_PAGE = 25;
/** Largest page; a bigger `per_page` is clamped to it. */
export const MAX_PER_PAGE = 100;

const STATUSES: readonly DeliveryStatus[] = ["pending", "succeeded", "failed"];
const POSITIVE_INT = /^[1-9][0-9]{0,8}$/;

/** The delivery log's query string, validated. */
export interface DeliveryListQuery {
  status: DeliveryStatus | null;
  page: number;
  perPage: number;
}

/**
 * `?status=pending|succeeded|failed&page=N&per_page=M`. Absent or empty → no filter, page 1, 25
 * per page; `per_page` above 100 → 100. Anything else (another status, a repeated key, `page=0`,
 * `page=abc`) → 422 `{"message":"Status is invalid","attributes":["status"]}` and the like.
 */
export function parseDeliveryListQuery(query: Record<string, unknown>): DeliveryListQuery {
  const failures: Array<{ attribute: string; message: string }> = [];
  const status = query.status;
  if (status !== undefined && status !== "" && !(typeof status === "string" && (STATUSES as readonly string[]).includes(status))) {
    failures.push({ attribute: "status", message: "Status is invalid" });
  }
  const page = positiveInt(query.page);
  if (page === null) failures.push({ attribute: "page", message: "Page is invalid" });
  const perPage = positiveInt(query.per_page);
  if (perPage === null) failures.push({ attribute: "per_page", message: "Per page is invalid" });
  if (failures.length > 0) throw new ValidationError(failures);
  return {
    status: status === undefined || status === "" ? null : (status as DeliveryStatus),
    page: page ?? 1,
    perPage: Math.min(perPage ?? DEFAULT_PER_PAGE, MAX_PER_PAGE),
  };
}

/** Undefined/empty → undefined (use the default); a positive integer below 10^9 → it; else null. */
function positiveInt(value: unknown): number | undefined | null {
  if (value === undefined || value === "") return undefined;
  return typeof value === "string" && POSITIVE_INT.test(value) ? Number(value) : null;
}
