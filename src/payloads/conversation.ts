import type { ChangedAttributes } from "../types";
import { accountWebhookData } from "./account";
import { contactPushData } from "./contact";
import { contactInboxRecord } from "./contact-inbox";
import { floatSeconds, isoTimeOrNull, unixSeconds } from "./format";
import { messagePushData, type PushMessageFacts } from "./message-push";
import { agentBotPushData } from "./agent-bot";
import type { AccountRow, AgentBotRow, ContactInboxRow, ContactRow, ConversationRow, InboxRow, TeamRow, UserRow } from "./rows";
import { userPushData } from "./user";

/** Everything a conversation payload shows besides the row itself. */
export interface ConversationFacts {
  conversation: ConversationRow;
  account: AccountRow;
  inbox: InboxRow;
  /** The conversation's contact (`meta.sender`). */
  contact: ContactRow;
  contactInbox: ContactInboxRow | null;
  assignee: UserRow | null;
  /** The agent bot the conversation is assigned to, if any (shown instead of a user, as Chatwoot's `assigned_entity`). */
  assigneeAgentBot?: AgentBotRow | null;
  /** The conversation's team, or null. */
  team?: TeamRow | null;
  /** The last public, non-activity message, or null when there is none. */
  lastMessage: PushMessageFacts | null;
  /** Chatwoot's unread count: incoming messages after `agent_last_seen_at`, at most 10. */
  unreadCount: number;
  /**
   * `updated_at` in Unix seconds with PostgreSQL's microseconds, when the loader read it;
   * otherwise the `Date`'s milliseconds are used.
   */
  updatedAtSeconds?: number;
}

/**
 * Chatwoot's `Conversation#webhook_data` (its event data presenter plus `account`), followed by
 * ours: `display_id`. `id` is the per-account display id, never the row id.
 */
export function conversationWebhookData(facts: ConversationFacts) {
  const { conversation, contactInbox } = facts;
  return {
    additional_attributes: conversation.additionalAttributes ?? {},
    can_reply: true,
    channel: facts.inbox.channelType,
    contact_inbox: contactInbox ? contactInboxRecord(contactInbox) : null,
    id: conversation.displayId,
    inbox_id: conversation.inboxId,
    messages: facts.lastMessage ? [messagePushData(facts.lastMessage, facts)] : [],
    labels: conversation.labels ?? [],
    meta: {
      sender: contactPushData(facts.contact),
      assignee: facts.assigneeAgentBot ? agentBotPushData(facts.assigneeAgentBot) : facts.assignee ? userPushData(facts.assignee) : null,
      assignee_type: conversation.assigneeAgentBotId != null ? "AgentBot" : conversation.assigneeId != null ? "User" : null,
      team: facts.team ? { id: facts.team.id, name: facts.team.name } : null,
      hmac_verified: contactInbox ? contactInbox.hmacVerified : null,
    },
    status: conversation.status,
    custom_attributes: conversation.customAttributes ?? {},
    snoozed_until: isoTimeOrNull(conversation.snoozedUntil),
    unread_count: facts.unreadCount,
    first_reply_created_at: isoTimeOrNull(conversation.firstReplyCreatedAt),
    priority: conversation.priority,
    waiting_since: unixSeconds(conversation.waitingSince),
    agent_last_seen_at: unixSeconds(conversation.agentLastSeenAt),
    contact_last_seen_at: unixSeconds(conversation.contactLastSeenAt),
    last_activity_at: unixSeconds(conversation.lastActivityAt),
    timestamp: unixSeconds(conversation.lastActivityAt),
    created_at: unixSeconds(conversation.createdAt),
    updated_at: facts.updatedAtSeconds ?? floatSeconds(conversation.updatedAt),
    account: accountWebhookData(facts.account),
    display_id: conversation.displayId,
  };
}

export type ConversationPayload = ReturnType<typeof conversationWebhookData>;

/** `conversation_created`: the payload and `event`. */
export function conversationCreatedBody(conversation: ConversationPayload) {
  return { ...conversation, event: "conversation_created" as const };
}

/** The agent-bot events `conversation_opened` / `conversation_resolved`: payload and `event`, nothing else. */
export function conversationBotEventBody(event: "conversation_opened" | "conversation_resolved", conversation: ConversationPayload) {
  return { ...conversation, event };
}

/** `conversation_updated` / `conversation_status_changed`: payload, `event`, `changed_attributes` (null when unknown). */
export function conversationChangedBody(
  event: "conversation_updated" | "conversation_status_changed",
  conversation: ConversationPayload,
  changedAttributes: ChangedAttributes | null = null,
) {
  return { ...conversation, event, changed_attributes: changedAttributes };
}
