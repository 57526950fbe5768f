import type { ErrorRequestHandler } from "express";
import { QueryFailedError } from "typeorm";
import { WebhooksError, type Logger } from "../../src";

/**
 * Last handler of the host routes: Chatwoot-style `{"error": message}` bodies. Known faults keep
 * their 4xx status; a unique-index race or a value PostgreSQL refuses becomes 422; anything else is logged and answered 500
 * without details.
 */
export function hostErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof WebhooksError) {
      // Chatwoot words its sign-in failure (no token at all) as a list.
      res.status(error.status).json(error.code === "sign_in_required" ? { errors: [error.message] } : { error: error.message, ...(error.reason ? { reason: error.reason } : {}) });
      return;
    }
    const sqlState = error instanceof QueryFailedError ? String((error.driverError as { code?: unknown } | undefined)?.code ?? "") : "";
    if (sqlState === "23505") {
      res.status(422).json({ error: "A record with these values already exists" });
      return;
    }
    // Class 22 is "data exception": a value PostgreSQL will not store (e.g. \u0000 inside JSON).
    if (sqlState.startsWith("22")) {
      res.status(422).json({ error: "A value in the request cannot be stored" });
      return;
    }
    const status = (error as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json({ error: (error as Error).message || "Bad request" });
      return;
    }
    logger.error({ err: error, method: req.method, path: req.path }, "host route failed");
    res.status(500).json({ error: "Internal Server Error" });
  };
}
