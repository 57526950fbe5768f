import type { AttemptRecord, WebhooksEvents } from "../context";
import type { Logger } from "../options";

/**
 * One structured `info` line per finished delivery (delivered, or failed for good), for hosts
 * that ship logs rather than scrape metrics. Only identifiers and the outcome: never the URL
 * (its query string may hold a token), the secret, the body sent or the body received.
 * Returns a function that detaches it.
 */
export function logFinishedDeliveries(events: WebhooksEvents, logger: Logger): () => void {
  const line = (record: AttemptRecord) => ({
    deliveryId: record.deliveryId,
    webhookId: record.webhookId,
    accountId: record.accountId,
    kind: record.kind,
    event: record.event,
    outcome: record.deliveryStatus,
    status: record.status,
    attempt: record.attempt,
    trigger: record.trigger,
    durationMs: record.durationMs,
    error: record.error,
  });
  const succeeded = (record: AttemptRecord) => logger.info(line(record), "webhook delivered");
  const failed = (record: AttemptRecord) => logger.info(line(record), "webhook delivery failed for good");
  events.on("delivery.succeeded", succeeded);
  events.on("delivery.failed", failed);
  return () => {
    events.off("delivery.succeeded", succeeded);
    events.off("delivery.failed", failed);
  };
}
