/** The parts of a PostgreSQL error (as `pg` reports it, wrapped by TypeORM) the routes look at. */
export interface PostgresError {
  code: string;
  constraint?: string;
  detail?: string;
}

/** Codes the routes turn into client errors. */
export const UNIQUE_VIOLATION = "23505";
export const FOREIGN_KEY_VIOLATION = "23503";

/** The PostgreSQL error inside a TypeORM `QueryFailedError`, or null for any other error. */
export function postgresErrorOf(error: unknown): PostgresError | null {
  const candidate = (error as { driverError?: unknown } | null)?.driverError ?? error;
  const code = (candidate as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? (candidate as PostgresError) : null;
}
