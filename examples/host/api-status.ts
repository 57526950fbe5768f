import type { RequestHandler } from "express";
import type { DataSource } from "typeorm";

/**
 * The Chatwoot release whose API this host answers like. Clients read `version` from `GET /api`
 * to learn which API to expect, so it names that release, not this package's version.
 */
export const CHATWOOT_API_VERSION = "4.15.0";

/**
 * `GET /api`: where Chatwoot clients (the n8n node's credential test, for one) check the
 * connection, without a token. Chatwoot's shape: `{version, timestamp, queue_services,
 * data_services}`, the timestamp in UTC as `YYYY-MM-DD HH:MM:SS`, each service `"ok"` or
 * `"failing"`, always 200. Chatwoot's queue is Redis; this host's queue is the webhook outbox in
 * PostgreSQL, so `queue_services` says whether the outbox table answers and `data_services`
 * whether the database does.
 */
export function apiStatus(dataSource: DataSource, clock: () => Date = () => new Date()): RequestHandler {
  return async (_req, res) => {
    const [data, queue] = await Promise.all([probe(dataSource, "SELECT 1"), probe(dataSource, "SELECT 1 FROM webhook_deliveries LIMIT 1")]);
    res.set("Cache-Control", "no-store");
    res.json({
      version: CHATWOOT_API_VERSION,
      timestamp: clock().toISOString().slice(0, 19).replace("T", " "),
      queue_services: queue,
      data_services: data,
    });
  };
}

async function probe(dataSource: DataSource, sql: string): Promise<"ok" | "failing"> {
  try {
    await dataSource.query(sql);
    return "ok";
  } catch {
    return "failing";
  }
}
