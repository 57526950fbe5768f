/** Largest value of a PostgreSQL `integer` (int4), the type of every id column. */
const INT4_MAX = 2_147_483_647;
const DIGITS = /^[0-9]{1,10}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A positive int4 id from a path segment or a field, or null for anything else (letters, signs,
 * floats, zero, values PostgreSQL's `integer` cannot hold). Null never reaches the database.
 */
export function parseId(raw: unknown): number | null {
  if (typeof raw !== "string" || !DIGITS.test(raw)) return null;
  const id = Number(raw);
  return id >= 1 && id <= INT4_MAX ? id : null;
}

/** A delivery id (canonical hyphenated UUID, lowercased), or null; so `::uuid` casts never fail. */
export function parseUuid(raw: unknown): string | null {
  return typeof raw === "string" && UUID.test(raw) ? raw.toLowerCase() : null;
}
