import { actorPushData } from "./actor";
import { attachmentPushData } from "./attachment";
import { isoTime, MESSAGE_TYPE_CODES, unixSeconds, webhookContent } from "./format";
import type { Actor, AttachmentRow, ContactInboxRow, ConversationRow, MessageRow } from "./rows";

/** A message with what its "push" form shows: its attachments and its sender. */
export interface PushMessageFacts {
  message: MessageRow;
  attachments: readonly AttachmentRow[];
  sender: Actor | null;
}

/** What the push form reads from the message's conversation. */
interface PushConversationFacts {
  conversation: ConversationRow;
  contactInbox: ContactInboxRow | null;
  unreadCount: number;
}

/**
 * Chatwoot's `Message#push_event_data`, the form inside `conversation.messages[]`: every column in
 * table order with an integer `message_type`, integer `created_at` and the conversation's display
 * id as `conversation_id`; then a conversation summary, attachments when there are any, and the
 * sender when there is one. Chatwoot's sentiment column is not modelled (`{}`), and
 * `processed_message_content` is the content.
 */
export function messagePushData(facts: PushMessageFacts, conversation: PushConversationFacts) {
  const { message } = facts;
  const content = webhookContent(message.content);
  const data: Record<string, unknown> = {
    id: message.id,
    content,
    account_id: message.accountId,
    inbox_id: message.inboxId,
    conversation_id: conversation.conversation.displayId,
    message_type: MESSAGE_TYPE_CODES[message.messageType],
    created_at: unixSeconds(message.createdAt),
    updated_at: isoTime(message.updatedAt),
    private: message.private,
    status: message.status,
    source_id: message.sourceId,
    content_type: message.contentType,
    content_attributes: message.contentAttributes ?? {},
    sender_type: message.senderType,
    sender_id: message.senderId,
    external_source_ids: message.externalSourceIds ?? {},
    additional_attributes: message.additionalAttributes ?? {},
    processed_message_content: content,
    sentiment: {},
    conversation: {
      assignee_id: conversation.conversation.assigneeId,
      unread_count: conversation.unreadCount,
      last_activity_at: unixSeconds(conversation.conversation.lastActivityAt),
      contact_inbox: { source_id: conversation.contactInbox ? conversation.contactInbox.sourceId : null },
    },
  };
  if (facts.attachments.length > 0) data.attachments = facts.attachments.map(attachmentPushData);
  if (facts.sender) data.sender = actorPushData(facts.sender);
  return data;
}
