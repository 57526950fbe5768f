import type { EntityManager } from "typeorm";
import type { MessageSenderType } from "../entities";
import type { ChangedAttributes } from "../types";
import { contactEventBody } from "./contact";
import { conversationBotEventBody, conversationChangedBody, conversationCreatedBody, conversationWebhookData, type ConversationPayload } from "./conversation";
import { inboxEventBody } from "./inbox";
import { type Batch, loadBatch, typingConversationId, typingUser } from "./load-batch";
import { messageEventBody } from "./message";
import type { PushMessageFacts } from "./message-push";
import type { OutboxEvent } from "./outbox-event";
import type { Actor } from "./rows";
import { typingEventBody } from "./typing";
import { widgetTriggeredBody } from "./widget";

/**
 * The exact JSON text to send for each event, keyed by event id: null when the event's subject
 * row no longer exists (deleted before fan-out). Loads the whole batch with a fixed number of
 * queries (see `loadBatch`), so call it with many events at once. Reads only; runs inside the
 * caller's transaction.
 */
export async function buildBodies(manager: EntityManager, events: readonly OutboxEvent[]): Promise<Map<string, string | null>> {
  const bodies = new Map<string, string | null>();
  if (events.length === 0) return bodies;
  const batch = await loadBatch(manager, events);
  const assembler = new Assembler(batch);
  for (const event of events) {
    const body = assembler.body(event);
    bodies.set(event.id, body == null ? null : JSON.stringify(body));
  }
  return bodies;
}

/** Turns loaded rows into bodies; conversation payloads are built once per batch and shared. */
class Assembler {
  private readonly conversationPayloads = new Map<number, ConversationPayload | null>();

  constructor(private readonly batch: Batch) {}

  body(event: OutboxEvent): object | null {
    switch (event.event) {
      case "message_created":
      case "message_updated":
        return this.message(event.event, event.subjectId);
      case "conversation_created": {
        const conversation = this.conversation(event.subjectId);
        return conversation && conversationCreatedBody(conversation);
      }
      case "conversation_opened":
      case "conversation_resolved": {
        const conversation = this.conversation(event.subjectId);
        return conversation && conversationBotEventBody(event.event, conversation);
      }
      case "conversation_updated":
      case "conversation_status_changed": {
        const conversation = this.conversation(event.subjectId);
        return conversation && conversationChangedBody(event.event, conversation, changedAttributes(event));
      }
      case "contact_created":
      case "contact_updated": {
        const contact = this.contactWithAccount(event.subjectId);
        return contact && contactEventBody(event.event, contact.contact, contact.account, changedAttributes(event));
      }
      case "inbox_created":
      case "inbox_updated": {
        const inbox = event.subjectId == null ? undefined : this.batch.inboxes.get(event.subjectId);
        const account = inbox && this.batch.accounts.get(inbox.accountId);
        return inbox && account ? inboxEventBody(event.event, inbox, account, changedAttributes(event)) : null;
      }
      case "conversation_typing_on":
      case "conversation_typing_off": {
        const conversation = this.conversation(typingConversationId(event));
        if (!conversation) return null;
        const user = typingUser(event);
        return typingEventBody(event.event, user && this.actor(user.type, user.id), conversation, event.data?.is_private === true);
      }
      case "webwidget_triggered":
        return this.widget(event);
      default:
        return null;
    }
  }

  private message(event: "message_created" | "message_updated", id: number | null) {
    const message = id == null ? undefined : this.batch.messages.get(id);
    if (!message) return null;
    const conversationRow = this.batch.conversations.get(message.conversationId);
    const conversation = this.conversation(message.conversationId);
    const contact = conversationRow && this.batch.contacts.get(conversationRow.contactId);
    const account = this.batch.accounts.get(message.accountId);
    const inbox = this.batch.inboxes.get(message.inboxId);
    if (!conversation || !contact || !account || !inbox) return null;
    return messageEventBody(event, {
      message,
      account,
      inbox,
      attachments: this.batch.attachments.get(message.id) ?? [],
      sender: this.actor(message.senderType, message.senderId),
      conversation,
      contact,
    });
  }

  /** The conversation payload of a conversation row id, or null when it (or its contact, inbox, account) is gone. */
  private conversation(id: number | null): ConversationPayload | null {
    if (id == null) return null;
    const cached = this.conversationPayloads.get(id);
    if (cached !== undefined) return cached;
    const payload = this.buildConversation(id);
    this.conversationPayloads.set(id, payload);
    return payload;
  }

  private buildConversation(id: number): ConversationPayload | null {
    const { batch } = this;
    const conversation = batch.conversations.get(id);
    if (!conversation) return null;
    const account = batch.accounts.get(conversation.accountId);
    const inbox = batch.inboxes.get(conversation.inboxId);
    const contact = batch.contacts.get(conversation.contactId);
    if (!account || !inbox || !contact) return null;
    const lastMessageId = batch.lastMessageIds.get(id);
    const lastMessage = lastMessageId == null ? undefined : batch.messages.get(lastMessageId);
    const last: PushMessageFacts | null = lastMessage
      ? { message: lastMessage, attachments: batch.attachments.get(lastMessage.id) ?? [], sender: this.actor(lastMessage.senderType, lastMessage.senderId) }
      : null;
    return conversationWebhookData({
      conversation,
      account,
      inbox,
      contact,
      contactInbox: (conversation.contactInboxId != null && batch.contactInboxes.get(conversation.contactInboxId)) || null,
      assignee: (conversation.assigneeId != null && batch.users.get(conversation.assigneeId)) || null,
      assigneeAgentBot: (conversation.assigneeAgentBotId != null && batch.agentBots.get(conversation.assigneeAgentBotId)) || null,
      team: (conversation.teamId != null && batch.teams.get(conversation.teamId)) || null,
      lastMessage: last,
      unreadCount: batch.unreadCounts.get(id) ?? 0,
      updatedAtSeconds: batch.updatedAtSeconds.get(id),
    });
  }

  private widget(event: OutboxEvent) {
    const { batch } = this;
    const contactInbox = event.subjectId == null ? undefined : batch.contactInboxes.get(event.subjectId);
    const inbox = contactInbox && batch.inboxes.get(contactInbox.inboxId);
    const account = inbox && batch.accounts.get(inbox.accountId);
    if (!contactInbox || !inbox || !account) return null;
    const currentId = batch.currentConversationIds.get(contactInbox.id);
    return widgetTriggeredBody(
      {
        contactInbox,
        contact: this.contactWithAccount(contactInbox.contactId),
        inbox,
        account,
        currentConversation: currentId == null ? null : this.conversation(currentId),
      },
      event.data?.event_info,
    );
  }

  private contactWithAccount(id: number | null) {
    const contact = id == null ? undefined : this.batch.contacts.get(id);
    const account = contact && this.batch.accounts.get(contact.accountId);
    return contact && account ? { contact, account } : null;
  }

  /** A polymorphic sender or typing user; null when none is named or the row is gone. */
  private actor(type: MessageSenderType | null, id: number | null): Actor | null {
    if (type == null || id == null) return null;
    if (type === "User") {
      const user = this.batch.users.get(id);
      return user ? { type, user } : null;
    }
    if (type === "AgentBot") {
      const agentBot = this.batch.agentBots.get(id);
      return agentBot ? { type, agentBot } : null;
    }
    const found = this.contactWithAccount(id);
    return found ? { type: "Contact", ...found } : null;
  }
}

function changedAttributes(event: OutboxEvent): ChangedAttributes | null {
  const value = event.data?.changed_attributes;
  return Array.isArray(value) ? (value as ChangedAttributes) : null;
}
