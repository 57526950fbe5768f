import { Router } from "express";
import type { WebhooksContext } from "../context";
import { NotFoundError } from "../errors";
import { parseId } from "../ids";
import { targetKind } from "../delivery/target-kind";
import { callerOf } from "./auth";
import { deliveryChart, failingEndpoints } from "./delivery-stats-queries";
import { targetIdsOf } from "./delivery-queries";

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/**
 * The delivery picture of the settings page (ours; Chatwoot has none), under the webhooks API:
 * - `GET /webhooks/:webhook_id/delivery_stats`: the webhook's deliveries of the last 24 hours
 *   per UTC hour by state (succeeded, failed, retrying, waiting), and the p50 / p95 duration of
 *   the attempts of the newest 2,000 of them;
 * - `GET /webhooks/failing`: the account's endpoints (webhooks, API inboxes, agent bots) failing
 *   now, with their last 24 hours and last answer.
 * Both aggregate in SQL (see `delivery-stats-queries.ts` for what they read). Mounted before the
 * webhook routes, so `failing` is never taken for a webhook id.
 */
export function deliveryStatsRoutes(ctx: WebhooksContext): Router {
  const { dataSource, clock } = ctx.options;
  const router = Router({ mergeParams: true });

  router.get("/failing", async (_req, res) => {
    const { accountId } = callerOf(res);
    const rows = await failingEndpoints(dataSource, accountId, clock());
    res.json({
      payload: {
        endpoints: rows.map((row) => ({
          webhook_id: row.id,
          kind: targetKind(row.kind),
          url: row.url,
          name: row.name,
          inbox_id: row.inbox_id,
          agent_bot_id: row.agent_bot_id,
          enabled: row.enabled,
          disabled_reason: row.disabled_reason,
          failing_since: iso(row.failing_since),
          last_24_hours: { succeeded: row.succeeded, failed: row.failed, retrying: row.retrying },
          last_status_code: row.last_status_code,
          last_error: row.last_error,
          last_attempt_at: iso(row.last_attempt_at),
        })),
      },
    });
  });

  router.get("/:webhook_id/delivery_stats", async (req, res) => {
    const { accountId } = callerOf(res);
    const id = parseId(req.params.webhook_id);
    const [webhookId] = id === null ? [] : await targetIdsOf(dataSource, accountId, { kind: "webhook", id });
    if (webhookId === undefined) throw new NotFoundError();
    const chart = await deliveryChart(dataSource, webhookId, clock());
    res.json({
      payload: {
        webhook_id: id,
        from: chart.from,
        to: chart.to,
        hours: chart.hours,
        latency: { deliveries: chart.latency.deliveries, attempts: chart.latency.attempts, p50_ms: chart.latency.p50Ms, p95_ms: chart.latency.p95Ms },
      },
    });
  });

  return router;
}
