import { accountWebhookData } from "./account";
import { contactWebhookData } from "./contact";
import type { ConversationPayload } from "./conversation";
import { inboxWebhookData } from "./inbox";
import type { AccountRow, ContactInboxRow, ContactRow, InboxRow } from "./rows";

/** What a `webwidget_triggered` body shows about the visitor's contact-inbox. */
export interface WidgetFacts {
  contactInbox: ContactInboxRow;
  /** The contact with its own account, or null when it is gone. */
  contact: { contact: ContactRow; account: AccountRow } | null;
  inbox: InboxRow;
  /** The inbox's account. */
  account: AccountRow;
  /** The contact-inbox's latest conversation (highest id), or null. */
  currentConversation: ConversationPayload | null;
}

/** Chatwoot's `ContactInbox#webhook_data`. */
export function contactInboxWebhookData(facts: WidgetFacts) {
  return {
    id: facts.contactInbox.id,
    contact: facts.contact ? contactWebhookData(facts.contact.contact, facts.contact.account) : null,
    inbox: inboxWebhookData(facts.inbox),
    account: accountWebhookData(facts.account),
    current_conversation: facts.currentConversation,
    source_id: facts.contactInbox.sourceId,
  };
}

/** `webwidget_triggered`: the contact-inbox payload, `event`, then `event_info` as the widget sent it. */
export function widgetTriggeredBody(facts: WidgetFacts, eventInfo: unknown) {
  return { ...contactInboxWebhookData(facts), event: "webwidget_triggered" as const, event_info: eventInfo ?? null };
}
