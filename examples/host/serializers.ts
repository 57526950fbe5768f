import type { Attachment, Contact, ContactInbox, Conversation, Inbox, Message, MessageType, User } from "../../src";

// Response bodies of the host routes, in the shapes Chatwoot's REST API answers with
// (its jbuilder views); fields this schema does not model get Chatwoot's empty value.

const MESSAGE_TYPE_NUMBER: Record<MessageType, number> = { incoming: 0, outgoing: 1, activity: 2, template: 3 };

const unix = (date: Date | null | undefined): number => (date ? Math.floor(date.getTime() / 1000) : 0);

/** A user as a message sender (Chatwoot's `push_event_data`). */
export function userSender(user: User): Record<string, unknown> {
  return {
    id: user.id,
    name: user.name,
    available_name: user.displayName || user.name,
    avatar_url: user.avatarUrl ?? "",
    type: "user",
    availability_status: "offline",
    thumbnail: user.avatarUrl ?? "",
  };
}

/** A contact as a message sender or conversation `meta.sender` (Chatwoot's `push_event_data`). */
export function contactSender(contact: Contact): Record<string, unknown> {
  return {
    additional_attributes: contact.additionalAttributes,
    custom_attributes: contact.customAttributes,
    email: contact.email,
    id: contact.id,
    identifier: contact.identifier,
    name: contact.name,
    phone_number: contact.phoneNumber,
    thumbnail: contact.avatarUrl ?? "",
    blocked: contact.blocked,
    type: "contact",
  };
}

/** An attachment in a message (Chatwoot's `push_event_data` for files). */
export function attachmentJson(attachment: Attachment): Record<string, unknown> {
  return {
    id: attachment.id,
    message_id: attachment.messageId,
    file_type: attachment.fileType,
    account_id: attachment.accountId,
    extension: attachment.extension,
    data_url: attachment.dataUrl,
    thumb_url: attachment.thumbUrl ?? "",
    file_size: attachment.fileSize,
    width: attachment.width,
    height: attachment.height,
  };
}

/**
 * The message as `POST .../messages` answers it, and each entry of `GET .../messages` (Chatwoot's
 * `api/v1/models/_message` view). As in Chatwoot's API (unlike its webhooks),
 * `message_type` is the enum's integer (0 incoming, 1 outgoing) and `created_at` Unix seconds;
 * `conversation_id` is the display id. `account_id` is an addition of ours.
 */
export function messageJson(message: Message, conversation: Conversation, sender: Record<string, unknown> | null, attachments: Attachment[]): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: message.id,
    content: message.content,
    account_id: message.accountId,
    inbox_id: message.inboxId,
    conversation_id: conversation.displayId,
    message_type: MESSAGE_TYPE_NUMBER[message.messageType],
    content_type: message.contentType,
    status: message.status,
    content_attributes: message.contentAttributes,
    created_at: unix(message.createdAt),
    private: message.private,
    source_id: message.sourceId,
    sender,
  };
  if (attachments.length > 0) json.attachments = attachments.map(attachmentJson);
  return json;
}

/** A contact as `POST /contacts` answers it, inside `payload.contact`. */
export function contactJson(contact: Contact, contactInboxes: Array<{ contactInbox: ContactInbox; inbox: Inbox }>): Record<string, unknown> {
  return {
    additional_attributes: contact.additionalAttributes,
    availability_status: "offline",
    email: contact.email,
    id: contact.id,
    name: contact.name,
    phone_number: contact.phoneNumber,
    blocked: contact.blocked,
    identifier: contact.identifier,
    thumbnail: contact.avatarUrl ?? "",
    custom_attributes: contact.customAttributes,
    last_activity_at: contact.lastActivityAt ? unix(contact.lastActivityAt) : null,
    created_at: unix(contact.createdAt),
    contact_inboxes: contactInboxes.map(({ contactInbox, inbox }) => ({ source_id: contactInbox.sourceId, inbox: inboxJson(inbox) })),
  };
}

/** An inbox, as nested in contact responses. */
export function inboxJson(inbox: Inbox): Record<string, unknown> {
  return { id: inbox.id, name: inbox.name, channel_type: inbox.channelType };
}

/** A conversation as `POST /conversations` answers it; `id` is the display id. */
export function conversationJson(conversation: Conversation, contact: Contact, inbox: Inbox, contactInbox: ContactInbox | null): Record<string, unknown> {
  return {
    meta: {
      sender: contactSender(contact),
      channel: inbox.channelType,
      hmac_verified: contactInbox?.hmacVerified ?? false,
    },
    id: conversation.displayId,
    messages: [],
    account_id: conversation.accountId,
    additional_attributes: conversation.additionalAttributes,
    agent_last_seen_at: unix(conversation.agentLastSeenAt),
    assignee_last_seen_at: 0,
    can_reply: true,
    contact_last_seen_at: unix(conversation.contactLastSeenAt),
    custom_attributes: conversation.customAttributes,
    inbox_id: conversation.inboxId,
    labels: conversation.labels,
    muted: false,
    snoozed_until: conversation.snoozedUntil,
    status: conversation.status,
    created_at: unix(conversation.createdAt),
    timestamp: unix(conversation.lastActivityAt),
    first_reply_created_at: unix(conversation.firstReplyCreatedAt),
    unread_count: 0,
    last_non_activity_message: null,
    last_activity_at: unix(conversation.lastActivityAt),
    priority: conversation.priority,
    waiting_since: unix(conversation.waitingSince),
  };
}

/** A message in Chatwoot's "push" form (`Message#push_event_data`), as a conversation's `messages` and `last_non_activity_message` show it. */
export function messagePushJson(message: Message, conversation: Conversation, contactInbox: ContactInbox | null, unreadCount: number, sender: Record<string, unknown> | null, attachments: Attachment[]): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: message.id,
    content: message.content,
    account_id: message.accountId,
    inbox_id: message.inboxId,
    conversation_id: conversation.displayId,
    message_type: MESSAGE_TYPE_NUMBER[message.messageType],
    created_at: unix(message.createdAt),
    updated_at: message.updatedAt.toISOString(),
    private: message.private,
    status: message.status,
    source_id: message.sourceId,
    content_type: message.contentType,
    content_attributes: message.contentAttributes,
    sender_type: message.senderType,
    sender_id: message.senderId,
    external_source_ids: message.externalSourceIds,
    additional_attributes: message.additionalAttributes,
    processed_message_content: message.content,
    sentiment: {},
    conversation: {
      assignee_id: conversation.assigneeId,
      unread_count: unreadCount,
      last_activity_at: unix(conversation.lastActivityAt),
      contact_inbox: { source_id: contactInbox?.sourceId ?? null },
    },
  };
  if (attachments.length > 0) json.attachments = attachments.map(attachmentJson);
  if (sender) json.sender = sender;
  return json;
}

/** A conversation's assignee as Chatwoot's `api/v1/models/_agent` view shows it. */
export function agentJson(user: User, accountId: number, role: string): Record<string, unknown> {
  return {
    id: user.id,
    account_id: accountId,
    availability_status: "offline",
    auto_offline: true,
    confirmed: true,
    email: user.email,
    available_name: user.displayName || user.name,
    name: user.name,
    role,
    thumbnail: user.avatarUrl ?? "",
  };
}

/** What `GET .../conversations/:id` adds to {@link conversationJson}: its messages, unread count and assignee. */
export interface ConversationDetail {
  /** The conversation's last message (any type), push form. */
  lastMessage: Record<string, unknown> | null;
  /** Its last message that is not an activity, push form. */
  lastNonActivityMessage: Record<string, unknown> | null;
  unreadCount: number;
  assignee: Record<string, unknown> | null;
}

/**
 * A conversation as `GET .../conversations/:id` answers it (Chatwoot's
 * `api/v1/conversations/partials/_conversation` view): the fields of {@link conversationJson},
 * with `meta.assignee` when assigned, `messages` holding the last message, `updated_at` (a
 * float, as Chatwoot sends it) after `created_at`, the unread count and the last non-activity message.
 */
export function conversationDetailJson(conversation: Conversation, contact: Contact, inbox: Inbox, contactInbox: ContactInbox | null, detail: ConversationDetail): Record<string, unknown> {
  const base = conversationJson(conversation, contact, inbox, contactInbox);
  const meta = base.meta as Record<string, unknown>;
  const json: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) {
    if (key === "meta") {
      json.meta = { sender: meta.sender, channel: meta.channel, ...(detail.assignee ? { assignee: detail.assignee } : {}), hmac_verified: meta.hmac_verified };
    } else if (key === "messages") {
      json.messages = detail.lastMessage ? [detail.lastMessage] : [];
    } else if (key === "unread_count") {
      json.unread_count = detail.unreadCount;
    } else if (key === "last_non_activity_message") {
      json.last_non_activity_message = detail.lastNonActivityMessage;
    } else {
      json[key] = value;
    }
    if (key === "created_at") json.updated_at = conversation.updatedAt.getTime() / 1000;
  }
  return json;
}

/** The `meta` of `GET .../conversations/:id/messages` (Chatwoot's messages `index` view). */
export function messagesMetaJson(conversation: Conversation, contact: Contact, assignee: User | null): Record<string, unknown> {
  return {
    labels: conversation.labels,
    additional_attributes: conversation.additionalAttributes,
    contact: contactSender(contact),
    ...(assignee ? { assignee: userSender(assignee) } : {}),
    agent_last_seen_at: conversation.agentLastSeenAt ? conversation.agentLastSeenAt.toISOString() : null,
    assignee_last_seen_at: null,
  };
}
