import type { Webhook, WebhookDisabledReason } from "../entities";

/**
 * A webhook as the API returns it. Chatwoot's keys come first, in Chatwoot's order (`inbox` only
 * when one is set); keys of ours are appended after them and never reordered.
 */
export interface WebhookJson {
  id: number;
  name: string | null;
  url: string;
  account_id: number;
  subscriptions: string[];
  secret: string;
  inbox?: { id: number; name: string };
  enabled: boolean;
  disabled_reason: WebhookDisabledReason | null;
  /** Events of one conversation (or contact) delivered in order (ours; Chatwoot has no such setting). */
  ordered: boolean;
}

/** Serialize a webhook (loaded with its inbox relation) with the exact key order of {@link WebhookJson}. */
export function webhookJson(webhook: Webhook): WebhookJson {
  const json: WebhookJson = {
    id: webhook.id,
    name: webhook.name,
    url: webhook.url,
    account_id: webhook.accountId,
    subscriptions: webhook.subscriptions,
    secret: webhook.secret,
  } as WebhookJson;
  if (webhook.inbox) json.inbox = { id: webhook.inbox.id, name: webhook.inbox.name };
  json.enabled = webhook.enabled;
  json.disabled_reason = webhook.disabledReason;
  json.ordered = webhook.ordered;
  return json;
}
