import type { WebhooksEvents } from "../context";
import type { Logger } from "../options";
import type { LeasedDelivery } from "./claimed-row";
import { emitSafely } from "./emit-safely";
import type { JudgedAttempt } from "./judge";
import { isLocalFault } from "./send";

/**
 * Whether the result of a scheduled attempt is recorded. Not when its fan-out was rolled back
 * after sending (the row never existed; its event is fanned out again, with the same delivery
 * id); not when stop() cut it short (not the receiver's fault; the lease lets it be tried again);
 * not when this process was out of file descriptors (nothing was sent, so nothing is counted; the
 * lease runs out and it is tried again, with the same attempt number).
 */
export async function worthRecording(item: LeasedDelivery, record: JudgedAttempt, stopping: () => boolean, logger: Logger, events: WebhooksEvents): Promise<boolean> {
  const { row, committed } = item;
  if (committed && !(await committed)) {
    logger.debug({ deliveryId: row.id }, "attempt not recorded: its fan-out was rolled back");
    return false;
  }
  if (stopping() && !record.ok) return false;
  if (isLocalFault(record)) {
    logger.warn({ deliveryId: row.id, webhookId: row.webhook_id, error: record.error }, "attempt not made: this process is out of a local resource; it is tried again when its lease ends");
    emitSafely(events, logger, "dispatcher.error", new Error(`attempt not made: ${record.error ?? "local fault"}`));
    return false;
  }
  return true;
}
