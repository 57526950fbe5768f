import type { WebhooksEventMap, WebhooksEvents } from "../context";
import type { Logger } from "../options";
import { redactError } from "../redact";

/**
 * Call each listener of a typed event, one by one: a listener that throws is logged and cannot
 * stop the others, nor reach the dispatcher loop (where it would become an unhandled rejection).
 */
export function emitSafely<K extends keyof WebhooksEventMap>(events: WebhooksEvents, logger: Logger, name: K, ...args: WebhooksEventMap[K]): void {
  // Listeners log what they get: a database error reaches them without its query's values.
  if (name === "dispatcher.error") args = args.map((arg) => redactError(arg)) as WebhooksEventMap[K];
  for (const listener of events.listeners(name)) {
    try {
      (listener as (...values: WebhooksEventMap[K]) => void)(...args);
    } catch (error) {
      logger.error({ err: error, event: name }, "a webhooks event listener threw; ignored");
    }
  }
}
