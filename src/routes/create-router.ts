import { Router } from "express";
import type { WebhooksContext } from "../context";
import { requireAdministrator } from "./auth";
import { deliveriesRoutes } from "./deliveries-routes";
import { errorHandler, notFound } from "./error-handler";
import { jsonBody } from "./json-body";
import { webhooksRoutes } from "./webhooks-routes";

/**
 * The management API: Chatwoot's webhook routes plus the delivery log, all under
 * `/accounts/:account_id/webhooks`. Mount it where Chatwoot has it: `app.use("/api/v1", router)`.
 *
 * Only that path belongs to this router: the host's own `/accounts/...` routes next to it are
 * untouched. Under it, every request is authenticated first (before its body is read), answers
 * are JSON (errors in Chatwoot's shapes, unknown paths a JSON 404), and nothing is cached
 * (responses carry webhook secrets).
 */
export function createRouter(ctx: WebhooksContext): Router {
  const api = Router({ mergeParams: true });
  api.use((_req, res, next) => {
    res.set("Cache-Control", "no-store");
    next();
  });
  api.use(requireAdministrator(ctx));
  api.use(jsonBody(ctx.options.maxBodyBytes));
  api.use(webhooksRoutes(ctx));
  api.use(deliveriesRoutes(ctx));
  api.use(notFound);
  api.use(errorHandler(ctx.options.logger));

  const router = Router();
  router.use("/accounts/:account_id/webhooks", api);
  // An account id that is not valid percent-encoding fails while Express decodes it, before the
  // router above runs; this path (a RegExp, so nothing is decoded) still answers in JSON.
  router.use(/^\/accounts\/[^/]+\/webhooks(?=\/|$)/i, errorHandler(ctx.options.logger));
  return router;
}
