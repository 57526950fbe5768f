import type { Logger } from "./options";

/** Error properties that carry the values of a failed query (tokens, secrets, message content). */
const VALUE_KEYS = new Set(["parameters", "params", "values", "bindings"]);

/**
 * A copy of an error without the values it was raised with. TypeORM's `QueryFailedError` keeps
 * the query's `parameters` (for the auth query: the account id and the caller's access token), and
 * loggers print every own property. The copy keeps the name, message, stack, SQL text (which has
 * placeholders, not values) and PostgreSQL's code, constraint and detail; its cause is redacted too.
 */
export function redactError<T>(error: T, depth = 0): T {
  if (!(error instanceof Error) || depth > 3) return error;
  if (!Object.keys(error).some((key) => VALUE_KEYS.has(key) || key === "driverError" || key === "cause")) return error;
  const copy = new Error(error.message) as Error & Record<string, unknown>;
  Object.defineProperty(copy, "name", { value: error.name, enumerable: false });
  copy.stack = error.stack;
  for (const [key, value] of Object.entries(error)) {
    if (VALUE_KEYS.has(key)) continue;
    copy[key] = value instanceof Error ? redactError(value, depth + 1) : value;
  }
  return copy as T;
}

/** The host's logger, with every error it is given redacted first ({@link redactError}). */
export function redactingLogger(logger: Logger): Logger {
  const clean = (obj: object): object => {
    if (!obj || typeof obj !== "object") return obj;
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj)) {
      const redacted = value instanceof Error ? redactError(value) : value;
      if (redacted !== value) changed = true;
      out[key] = redacted;
    }
    return changed ? out : obj;
  };
  return {
    debug: (obj, msg) => logger.debug(clean(obj), msg),
    info: (obj, msg) => logger.info(clean(obj), msg),
    warn: (obj, msg) => logger.warn(clean(obj), msg),
    error: (obj, msg) => logger.error(clean(obj), msg),
  };
}
