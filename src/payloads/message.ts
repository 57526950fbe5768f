import { accountWebhookData } from "./account";
import { actorWebhookData } from "./actor";
import { attachmentPushData } from "./attachment";
import type { ConversationPayload } from "./conversation";
import { isoTime, webhookContent } from "./format";
import { inboxWebhookData } from "./inbox";
import type { AccountRow, Actor, AttachmentRow, ContactRow, InboxRow, MessageRow } from "./rows";

/** Everything a message event shows besides the message row. */
export interface MessageFacts {
  message: MessageRow;
  /** The message's own account and inbox. */
  account: AccountRow;
  inbox: InboxRow;
  attachments: readonly AttachmentRow[];
  sender: Actor | null;
  /** The conversation payload (see `conversationWebhookData`). */
  conversation: ConversationPayload;
  /** The conversation's contact, for our `contact {id, name}`. */
  contact: ContactRow;
}

/**
 * Chatwoot's `Message#webhook_data` (keys in its order, `attachments` only when there are any),
 * then ours: `contact {id, name}` of the conversation, as the 2020 payload had it.
 */
export function messageWebhookData(facts: MessageFacts) {
  const { message } = facts;
  const data: Record<string, unknown> = {
    account: accountWebhookData(facts.account),
    additional_attributes: message.additionalAttributes ?? {},
    content_attributes: message.contentAttributes ?? {},
    content_type: message.contentType,
    content: webhookContent(message.content),
    conversation: facts.conversation,
    created_at: isoTime(message.createdAt),
    id: message.id,
    inbox: inboxWebhookData(facts.inbox),
    message_type: message.messageType,
    private: message.private,
    sender: actorWebhookData(facts.sender),
    source_id: message.sourceId,
  };
  if (facts.attachments.length > 0) data.attachments = facts.attachments.map(attachmentPushData);
  data.contact = { id: facts.contact.id, name: facts.contact.name };
  return data;
}

/** `message_created` / `message_updated`: the message payload and `event`. */
export function messageEventBody(event: "message_created" | "message_updated", facts: MessageFacts) {
  const body = messageWebhookData(facts);
  body.event = event;
  return body;
}
