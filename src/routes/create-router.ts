import { Router, type RequestHandler } from "express";
import type { WebhooksContext } from "../context";
import { NotFoundError } from "../errors";
import { agentBotsRoutes, inboxBotRoutes } from "./agent-bots-routes";
import { requireAdministrator } from "./auth";
import { deliveriesRoutes } from "./deliveries-routes";
import { deliveryStatsRoutes } from "./delivery-stats-routes";
import { secretRotationRoutes } from "./secret-rotation-routes";
import { errorHandler, notFound } from "./error-handler";
import { jsonBody } from "./json-body";
import { recoveryRoutes } from "./recovery-routes";
import { createRateLimit } from "./rate-limit";
import { webhooksRoutes } from "./webhooks-routes";

/**
 * The management API, mounted where Chatwoot has it (`app.use("/api/v1", router)`):
 * - `/accounts/:account_id/webhooks`: Chatwoot's webhook routes plus each webhook's delivery log,
 *   its 24-hour delivery chart and the account's failing endpoints;
 * - `/accounts/:account_id/agent_bots`: Chatwoot's agent-bot routes plus each bot's delivery log;
 * - `/accounts/:account_id/inboxes/:inbox_id/set_agent_bot`, `.../agent_bot` (Chatwoot's) and
 *   `.../deliveries` (an API inbox's delivery log) `.../rotate_secret` (its channel's secret) and `.../recover` (bulk recovery).
 *   The rest of `/inboxes` is the host's.
 *
 * Only these paths belong to this router: the host's own `/accounts/...` routes next to them are
 * untouched. Under them, every request is authenticated first (before its body is read), answers
 * are JSON (errors in Chatwoot's shapes, unknown paths a JSON 404), and nothing is cached
 * (responses carry secrets). As in Rails, a trailing slash and a `.json` suffix change nothing.
 */
export function createRouter(ctx: WebhooksContext): Router {
  const router = Router();
  router.use(dropJsonFormat);
  // The delivery picture first: `/webhooks/failing` is not a webhook id.
  // One budget per account for manual attempts, whichever log they are asked from.
  const redeliveries = createRateLimit(ctx.options.redeliveriesPerMinute);
  router.use("/accounts/:account_id/webhooks", managementApi(ctx, deliveryStatsRoutes(ctx), webhooksRoutes(ctx), deliveriesRoutes(ctx, "webhook_id", "webhook", redeliveries), recoveryRoutes(ctx, "webhook_id", "webhook"), secretRotationRoutes(ctx, "id", "webhook")));
  router.use("/accounts/:account_id/agent_bots", managementApi(ctx, agentBotsRoutes(ctx), deliveriesRoutes(ctx, "id", "agent_bot", redeliveries), recoveryRoutes(ctx, "id", "agent_bot"), secretRotationRoutes(ctx, "id", "agent_bot")));
  // The host serves the rest of `/inboxes` (list, create, update): only these paths are ours.
  const inboxApi = managementApi(ctx, inboxBotRoutes(ctx), deliveriesRoutes(ctx, "inbox_id", "inbox", redeliveries), recoveryRoutes(ctx, "inbox_id", "inbox"), secretRotationRoutes(ctx, "inbox_id", "inbox"));
  router.use("/accounts/:account_id/inboxes", (req, res, next) => (INBOX_PATHS.test(req.path) ? inboxApi(req, res, next) : next()));
  // An account id that is not valid percent-encoding fails while Express decodes it, before the
  // routers above run; these paths (a RegExp, so nothing is decoded) still answer in JSON.
  router.use(/^\/accounts\/[^/]+\/(webhooks|agent_bots)(?=\/|$)/i, errorHandler(ctx.options.logger));
  return router;
}

/** The inbox paths the library answers: an inbox's bot, its API-channel delivery log, secret rotation and bulk recovery. */
const INBOX_PATHS = /^\/[^/]+\/(set_agent_bot|agent_bot|deliveries|rotate_secret|recover|recoveries)(\/|$)/;

/** Every path this router answers, relative to where it is mounted. */
const OWN_PATHS = /^\/accounts\/[^/]+\/(?:webhooks|agent_bots|inboxes\/[^/]+\/(?:set_agent_bot|agent_bot|deliveries|rotate_secret|recover|recoveries))(?:\/|$)/i;
const JSON_FORMAT = /\.json$/;

/**
 * Rails routes take an optional format suffix (`/webhooks.json`, `/webhooks/1.json`), and
 * Chatwoot answers JSON for `.json` as for no suffix: drop it, on this router's own paths only
 * (the host's paths are left as they came). A query string is kept.
 */
const dropJsonFormat: RequestHandler = (req, _res, next) => {
  const queryAt = req.url.indexOf("?");
  const path = queryAt === -1 ? req.url : req.url.slice(0, queryAt);
  if (JSON_FORMAT.test(path)) {
    const bare = path.slice(0, -".json".length);
    if (OWN_PATHS.test(bare)) req.url = bare + (queryAt === -1 ? "" : req.url.slice(queryAt));
  }
  next();
};

/**
 * `OPTIONS` has no route in Chatwoot's API (Rails answers a method without a route as not found);
 * without this, Express would answer it itself, 200 in text/plain. A host that serves browsers of
 * other origins answers their preflights with its own CORS middleware, mounted before the router.
 */
const noOptions: RequestHandler = (req, _res, next) => {
  if (req.method === "OPTIONS") throw new NotFoundError();
  next();
};

/** One guarded API: no caching, an administrator of the account, its own body parser, JSON errors. */
function managementApi(ctx: WebhooksContext, ...routes: Router[]): Router {
  const api = Router({ mergeParams: true });
  api.use((_req, res, next) => {
    res.set("Cache-Control", "no-store");
    next();
  });
  api.use(requireAdministrator(ctx));
  api.use(noOptions);
  api.use(jsonBody(ctx.options.maxBodyBytes));
  for (const route of routes) api.use(route);
  api.use(notFound);
  api.use(errorHandler(ctx.options.logger));
  return api;
}
