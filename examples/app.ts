import express, { type Express } from "express";
import type { DataSource } from "typeorm";
import type { Logger, Webhooks } from "../src";
import { apiStatus } from "./host/api-status";
import { createHostRouter } from "./host-routes";
import { createConsoleLogger } from "./logger";

/** Path of the webhook settings page for an account (Chatwoot's own path for it). */
export const settingsPagePath = (accountId: number) => `/app/accounts/${accountId}/settings/integrations/webhook`;

/**
 * The demo host application: its own Chatwoot-style routes plus the library's management API
 * (`/api/v1`) and settings page (`/app`), mounted as any Express app would mount them.
 */
export function createApp({
  dataSource,
  webhooks,
  logger = createConsoleLogger("warn"),
  addressPolicy = { allowPrivateNetwork: true, allowedCidrs: [] },
}: {
  dataSource: DataSource;
  webhooks: Webhooks;
  logger?: Logger;
  /** What the host's own routes accept as an API channel's `webhook_url`: the same policy the library was given (the demo allows private targets). */
  addressPolicy?: { allowPrivateNetwork: boolean; allowedCidrs: string[] };
}): Express {
  const app = express();
  app.disable("x-powered-by");
  // Chatwoot clients test their connection here, without a token (`.json` as Rails' routes allow).
  app.get(["/api", "/api.json"], apiStatus(dataSource));
  // The host routes go first: they only answer for their own paths and authenticate per route.
  app.use("/api/v1", createHostRouter({ dataSource, logger, addressPolicy }));
  app.use("/api/v1", webhooks.router);
  app.use("/app", webhooks.settingsRouter);
  // Operations: Prometheus text at /metrics, /health/live and /health/ready. A real host puts
  // them on an internal port or behind its own auth; the demo listens on 127.0.0.1 only.
  app.use("/metrics", webhooks.metricsRouter);
  app.use("/health", webhooks.healthRouter);
  app.get("/", (_req, res) => res.redirect(settingsPagePath(1)));
  app.use((_req, res) => {
    res.status(404).json({ error: "Resource could not be found" });
  });
  return app;
}
