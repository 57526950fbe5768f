import type { WebhooksContext } from "../context";
import { OutboxSubscriber } from "./outbox-subscriber";

export { OutboxSubscriber } from "./outbox-subscriber";

/** The subscriber `createWebhooks()` adds to the DataSource. */
export function createOutboxSubscriber(context: WebhooksContext, wake: () => void): OutboxSubscriber {
  return new OutboxSubscriber(context, wake);
}
