import type { ErrorRequestHandler, RequestHandler } from "express";
import { NotFoundError, TooManyRequestsError, ValidationError, WebhooksError } from "../errors";
import type { Logger } from "../options";
import { MIGRATIONS_MISSING } from "../schema-check";
import { postgresErrorOf } from "./postgres-error";

/** Anything under the API's paths that no route matched: Chatwoot's 404 shape, not Express's HTML page. */
export const notFound: RequestHandler = () => {
  throw new NotFoundError();
};

/**
 * The last handler of the management API: turns the error family into Chatwoot's JSON shapes.
 * Validation → 422 `{message, attributes}`; every other `WebhooksError` → `{error}` with its
 * status. Other client faults Express raises itself (a path that is not valid percent-encoding)
 * keep their 4xx status. Anything else is a bug: logged, and answered with a bare 500.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof ValidationError) {
      if (error.reason) logger.info({ method: req.method, path: req.originalUrl, reason: error.reason }, `webhooks management API: ${error.attributes.includes("url") ? "URL" : "request"} refused`);
      res.status(error.status).json({ message: error.message, attributes: error.attributes, ...(error.reason ? { reason: error.reason } : {}) });
      return;
    }
    if (error instanceof TooManyRequestsError) res.set("Retry-After", String(error.retryAfterSeconds));
    if (error instanceof WebhooksError) {
      // Chatwoot's sign-in failure is the one error it words as a list.
      res.status(error.status).json(error.code === "sign_in_required" ? { errors: [error.message] } : { error: error.message, ...(error.reason ? { reason: error.reason } : {}) });
      return;
    }
    const status = (error as { status?: unknown } | null)?.status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json({ error: "Bad request" });
      return;
    }
    const code = postgresErrorOf(error)?.code;
    // An undefined table or column: the first thing a host meets when it forgot the migrations.
    const hint = code === "42P01" || code === "42703" ? `; ${MIGRATIONS_MISSING}` : "";
    logger.error({ err: error, method: req.method, path: req.originalUrl }, `webhooks management API: request failed${hint}`);
    res.status(500).json({ error: "Internal server error" });
  };
}
