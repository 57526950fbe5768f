import type { EntityManager } from "typeorm";
import { Account, AgentBot, Attachment, Contact, ContactInbox, Conversation, Inbox, Message, Team, User } from "../entities";
import type { MessageSenderType } from "../entities";
import type { OutboxEvent } from "./outbox-event";
import { statementsOf, type Tables } from "../tables";

/** Everything the events of one batch refer to, each entity type loaded with one query. */
export interface Batch {
  messages: Map<number, Message>;
  conversations: Map<number, Conversation>;
  /** Per conversation: `updated_at` in Unix seconds with microseconds. */
  updatedAtSeconds: Map<number, number>;
  /** Per conversation: Chatwoot's unread count (incoming after `agent_last_seen_at`, at most 10). */
  unreadCounts: Map<number, number>;
  /** Per conversation: the id of its last public, non-activity message. */
  lastMessageIds: Map<number, number>;
  /** Per contact-inbox: its latest conversation's id. */
  currentConversationIds: Map<number, number>;
  contactInboxes: Map<number, ContactInbox>;
  contacts: Map<number, Contact>;
  users: Map<number, User>;
  agentBots: Map<number, AgentBot>;
  /** Teams of the batch's conversations (`meta.team`). */
  teams: Map<number, Team>;
  inboxes: Map<number, Inbox>;
  accounts: Map<number, Account>;
  /** Per message, in id order. */
  attachments: Map<number, Attachment[]>;
}

/** A typing event's `data.user`. */
export interface TypingUser {
  type: MessageSenderType;
  id: number;
}

const isTyping = (event: OutboxEvent) => event.event === "conversation_typing_on" || event.event === "conversation_typing_off";

/** The conversation row id a typing event is about. */
export function typingConversationId(event: OutboxEvent): number | null {
  return event.subjectId ?? toId(event.data?.conversation_id);
}

/** A typing event's user, when its `data` names a valid one. */
export function typingUser(event: OutboxEvent): TypingUser | null {
  const user = event.data?.user as { type?: unknown; id?: unknown } | null | undefined;
  const id = toId(user?.id);
  if (id == null || (user?.type !== "User" && user?.type !== "Contact" && user?.type !== "AgentBot")) return null;
  return { type: user.type, id };
}

function toId(value: unknown): number | null {
  const id = typeof value === "string" ? Number(value) : value;
  return typeof id === "number" && Number.isSafeInteger(id) ? id : null;
}

class IdSet {
  private readonly ids = new Set<number>();
  add(id: number | null | undefined): void {
    if (id != null) this.ids.add(id);
  }
  /** The ids not already present in `loaded`. */
  missingFrom(loaded: Map<number, unknown>): number[] {
    return [...this.ids].filter((id) => !loaded.has(id));
  }
  list(): number[] {
    return [...this.ids];
  }
}

/**
 * Independent loads: side by side on a pooled manager, where they overlap; one after another on a
 * manager bound to one connection (a transaction, PGlite), which runs one query at a time anyway
 * and must not be handed a second while the first runs.
 */
async function together<T extends unknown[]>(manager: EntityManager, loads: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
  if (manager.queryRunner === undefined) return (await Promise.all(loads.map((load) => load()))) as T;
  const results: unknown[] = [];
  for (const load of loads) results.push(await load());
  return results as T;
}

const byId = <T extends { id: number }>(rows: T[]): Map<number, T> => new Map(rows.map((row) => [row.id, row]));

/** Rows of `entity` whose id is in `ids`: one `= ANY($1)` query, none for an empty list. */
async function loadByIds<T extends { id: number }>(manager: EntityManager, entity: new () => T, ids: number[]): Promise<T[]> {
  if (ids.length === 0) return [];
  return manager.createQueryBuilder(entity, "t").where("t.id = ANY(:ids)", { ids }).getMany();
}

/**
 * Last chat message (not activity, not private) of conversation `c`: Chatwoot's `messages.chat.last`.
 * This and UNREAD_COUNT are the costly part of a batch; an index on messages (conversation_id,
 * created_at) turns their sorts into index scans.
 */
const LAST_CHAT_MESSAGE_ID = (t: Tables): string => `(SELECT m.id FROM ${t.messages} m
  WHERE m.conversation_id = c.id AND m.message_type <> 'activity' AND m.private = false
  ORDER BY m.created_at DESC, m.id DESC LIMIT 1)`;

/** Chatwoot counts `unread_incoming_messages.last(10)`, so its unread count never exceeds 10. */
const UNREAD_COUNT = (t: Tables): string => `(SELECT count(*) FROM (SELECT 1 FROM ${t.messages} m
  WHERE m.conversation_id = c.id AND m.account_id = c.account_id AND m.message_type = 'incoming'
    AND (c.agent_last_seen_at IS NULL OR m.created_at > c.agent_last_seen_at)
  LIMIT 10) unread)`;

/** The newest conversation of each contact-inbox in `:contactInboxIds` (Chatwoot's `conversations.last`). */
const CURRENT_CONVERSATIONS = (t: Tables): string => `(SELECT DISTINCT ON (x.contact_inbox_id) x.id FROM ${t.conversations} x
  WHERE x.contact_inbox_id = ANY(:contactInboxIds) ORDER BY x.contact_inbox_id, x.id DESC)`;

/**
 * Load what `events` refer to, in at most eleven queries whatever the batch size: messages,
 * conversations (with unread counts, last-message ids and exact `updated_at`), missing last
 * messages, contact-inboxes, contacts, users, agent bots, teams, inboxes, accounts, attachments.
 */
export async function loadBatch(manager: EntityManager, events: readonly OutboxEvent[]): Promise<Batch> {
  const sql = statementsOf(manager.connection);
  const messageIds = new IdSet();
  const conversationIds = new IdSet();
  const contactIds = new IdSet();
  const inboxIds = new IdSet();
  const widgetContactInboxIds = new IdSet();
  const userIds = new IdSet();
  const agentBotIds = new IdSet();
  const addActor = (type: MessageSenderType | null, id: number | null) => {
    if (type === "User") userIds.add(id);
    else if (type === "Contact") contactIds.add(id);
    else if (type === "AgentBot") agentBotIds.add(id);
  };

  for (const event of events) {
    if (isTyping(event)) {
      conversationIds.add(typingConversationId(event));
      const user = typingUser(event);
      if (user) addActor(user.type, user.id);
      continue;
    }
    switch (event.subjectType) {
      case "Message":
        messageIds.add(event.subjectId);
        break;
      case "Conversation":
        conversationIds.add(event.subjectId);
        break;
      case "Contact":
        contactIds.add(event.subjectId);
        break;
      case "Inbox":
        inboxIds.add(event.subjectId);
        break;
      case "ContactInbox":
        widgetContactInboxIds.add(event.subjectId);
        break;
    }
  }

  // Everything in a payload belongs to its event's account, so accounts load alongside the messages.
  const eventAccountIds = new IdSet();
  for (const event of events) eventAccountIds.add(event.accountId);
  const [messageRows, accountRows] = await together<[Message[], Account[]]>(manager, [
    () => loadByIds(manager, Message, messageIds.list()),
    () => loadByIds(manager, Account, eventAccountIds.list()),
  ]);
  const messages = byId(messageRows);
  const accounts = byId(accountRows);
  for (const message of messages.values()) conversationIds.add(message.conversationId);

  const conversations = new Map<number, Conversation>();
  const updatedAtSeconds = new Map<number, number>();
  const unreadCounts = new Map<number, number>();
  const lastMessageIds = new Map<number, number>();
  const currentConversationIds = new Map<number, number>();
  const widgetIds = widgetContactInboxIds.list();
  if (conversationIds.list().length > 0 || widgetIds.length > 0) {
    const { entities, raw } = await manager
      .createQueryBuilder(Conversation, "c")
      .addSelect("EXTRACT(EPOCH FROM c.updated_at)::text", "updated_epoch")
      .addSelect(`${sql(UNREAD_COUNT)}::int`, "unread_count")
      .addSelect(sql(LAST_CHAT_MESSAGE_ID), "last_message_id")
      // The OR (widget events only) would turn the id lookup into a scan: leave it out when unused.
      .where(widgetIds.length > 0 ? `c.id = ANY(:ids) OR c.id IN ${sql(CURRENT_CONVERSATIONS)}` : "c.id = ANY(:ids)", { ids: conversationIds.list(), contactInboxIds: widgetIds })
      .getRawAndEntities<{ c_id: number; updated_epoch: string; unread_count: number | string; last_message_id: number | null }>();
    for (const conversation of entities) conversations.set(conversation.id, conversation);
    for (const row of raw) {
      const id = Number(row.c_id);
      updatedAtSeconds.set(id, Number(row.updated_epoch));
      unreadCounts.set(id, Number(row.unread_count));
      if (row.last_message_id != null) lastMessageIds.set(id, Number(row.last_message_id));
    }
    const wanted = new Set(widgetIds);
    for (const conversation of conversations.values()) {
      const ci = conversation.contactInboxId;
      if (ci != null && wanted.has(ci) && conversation.id > (currentConversationIds.get(ci) ?? 0)) currentConversationIds.set(ci, conversation.id);
    }
  }

  const lastIds = new IdSet();
  for (const id of lastMessageIds.values()) lastIds.add(id);
  const contactInboxIds = new IdSet();
  const teamIds = new IdSet();
  for (const id of widgetIds) contactInboxIds.add(id);
  for (const conversation of conversations.values()) {
    contactInboxIds.add(conversation.contactInboxId);
    contactIds.add(conversation.contactId);
    inboxIds.add(conversation.inboxId);
    userIds.add(conversation.assigneeId);
    agentBotIds.add(conversation.assigneeAgentBotId);
    teamIds.add(conversation.teamId);
  }
  const [lastMessages, contactInboxRows] = await together<[Message[], ContactInbox[]]>(manager, [
    () => loadByIds(manager, Message, lastIds.missingFrom(messages)),
    () => loadByIds(manager, ContactInbox, contactInboxIds.list()),
  ]);
  for (const message of lastMessages) messages.set(message.id, message);
  for (const message of messages.values()) {
    inboxIds.add(message.inboxId);
    addActor(message.senderType, message.senderId);
  }
  const contactInboxes = byId(contactInboxRows);
  for (const contactInbox of contactInboxes.values()) {
    contactIds.add(contactInbox.contactId);
    inboxIds.add(contactInbox.inboxId);
  }

  const [contactRows, userRows, agentBotRows, inboxRows, attachmentRows, teamRows] = await together<[Contact[], User[], AgentBot[], Inbox[], Attachment[], Team[]]>(manager, [
    () => loadByIds(manager, Contact, contactIds.list()),
    () => loadByIds(manager, User, userIds.list()),
    () => loadByIds(manager, AgentBot, agentBotIds.list()),
    () => loadByIds(manager, Inbox, inboxIds.list()),
    () => (messages.size === 0 ? Promise.resolve([]) : manager.createQueryBuilder(Attachment, "a").where("a.message_id = ANY(:ids)", { ids: [...messages.keys()] }).orderBy("a.id", "ASC").getMany()),
    () => loadByIds(manager, Team, teamIds.list()),
  ]);
  const contacts = byId(contactRows);
  const users = byId(userRows);
  const agentBots = byId(agentBotRows);
  const inboxes = byId(inboxRows);

  // Rows of another account than their event's (not expected) still get theirs.
  const otherAccountIds = new IdSet();
  for (const rows of [messages, conversations, contacts, inboxes] as Array<Map<number, { accountId: number }>>) {
    for (const row of rows.values()) otherAccountIds.add(row.accountId);
  }
  for (const account of await loadByIds(manager, Account, otherAccountIds.missingFrom(accounts))) accounts.set(account.id, account);

  const attachments = new Map<number, Attachment[]>();
  for (const row of attachmentRows) {
    const list = attachments.get(row.messageId);
    if (list) list.push(row);
    else attachments.set(row.messageId, [row]);
  }

  return { messages, conversations, updatedAtSeconds, unreadCounts, lastMessageIds, currentConversationIds, contactInboxes, contacts, users, agentBots, teams: byId(teamRows), inboxes, accounts, attachments };
}
