import type { AccountRow } from "./rows";

/** Chatwoot's `Account#webhook_data`: `{id, name}`. */
export function accountWebhookData(account: AccountRow) {
  return { id: account.id, name: account.name };
}
