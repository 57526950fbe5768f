/** Every event a webhook may subscribe to, in Chatwoot's order. */
export const WEBHOOK_EVENTS = [
  "conversation_status_changed",
  "conversation_updated",
  "conversation_created",
  "contact_created",
  "contact_updated",
  "message_created",
  "message_updated",
  "webwidget_triggered",
  "inbox_created",
  "inbox_updated",
  "conversation_typing_on",
  "conversation_typing_off",
] as const;

export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/**
 * Events only agent bots receive (Chatwoot's agent-bot listener): a conversation's status became
 * `open` / `resolved`. Account webhooks cannot subscribe to them.
 */
export const BOT_ONLY_EVENTS = ["conversation_opened", "conversation_resolved"] as const;

/** Every event the outbox records: the subscribable ones and the bot-only ones. */
export type OutboxEventName = WebhookEventName | (typeof BOT_ONLY_EVENTS)[number];

/** What a webhook receives when it is created without `subscriptions` (Chatwoot's default 8). */
export const DEFAULT_SUBSCRIPTIONS: readonly WebhookEventName[] = WEBHOOK_EVENTS.slice(0, 8);

/** Chatwoot's `changed_attributes`: one single-key object per changed column. */
export type ChangedAttributes = Array<Record<string, { previous_value: unknown; current_value: unknown }>>;

/** The states of a delivery (one event to one webhook). */
export type DeliveryStatus = "pending" | "succeeded" | "failed";

/** Why an attempt was made: by the schedule, or by a person pressing "redeliver". */
export type AttemptTrigger = "scheduled" | "manual";

export function isWebhookEvent(value: unknown): value is WebhookEventName {
  return typeof value === "string" && (WEBHOOK_EVENTS as readonly string[]).includes(value);
}
