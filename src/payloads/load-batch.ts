import type { EntityManager } from "typeorm";
import { Account, AgentBot, Attachment, Contact, ContactInbox, Conversation, Inbox, Message, Team, User } from "../entities";
import type { MessageSenderType } from "../entities";
import type { OutboxEvent } from "./outbox-event";
import { statementsOf } from "../tables";
import { queryPrepared } from "../prepared";
import { batchParameters, hydrate, LOAD_BATCH, type BatchIds, type BatchRow } from "./batch-sql";

/** Everything the events of one batch refer to, loaded with one statement (LOAD_BATCH). */
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
  list(): number[] {
    return [...this.ids];
  }
}

const byId = <T extends { id: number }>(rows: T[]): Map<number, T> => new Map(rows.map((row) => [row.id, row]));

/** What the events name directly; LOAD_BATCH reaches the rest from those rows. */
function idsOf(events: readonly OutboxEvent[]): BatchIds {
  const sets = { messages: new IdSet(), conversations: new IdSet(), contacts: new IdSet(), inboxes: new IdSet(), widgetContactInboxes: new IdSet(), users: new IdSet(), agentBots: new IdSet(), accounts: new IdSet() };
  for (const event of events) {
    // Everything in a payload belongs to its event's account.
    sets.accounts.add(event.accountId);
    if (isTyping(event)) {
      sets.conversations.add(typingConversationId(event));
      const user = typingUser(event);
      if (user?.type === "User") sets.users.add(user.id);
      else if (user?.type === "Contact") sets.contacts.add(user.id);
      else if (user?.type === "AgentBot") sets.agentBots.add(user.id);
      continue;
    }
    const subjects = { Message: sets.messages, Conversation: sets.conversations, Contact: sets.contacts, Inbox: sets.inboxes, ContactInbox: sets.widgetContactInboxes } as const;
    subjects[event.subjectType as keyof typeof subjects]?.add(event.subjectId);
  }
  return {
    messages: sets.messages.list(),
    conversations: sets.conversations.list(),
    contacts: sets.contacts.list(),
    inboxes: sets.inboxes.list(),
    widgetContactInboxes: sets.widgetContactInboxes.list(),
    users: sets.users.list(),
    agentBots: sets.agentBots.list(),
    accounts: sets.accounts.list(),
  };
}

/** A conversation row of LOAD_BATCH: its columns and what the statement computed for it. */
interface ConversationExtras {
  id: number;
  updated_epoch: string;
  unread_count: number;
  last_message_id: number | null;
}

/**
 * Load what `events` refer to in one statement (see LOAD_BATCH), as entities: messages (with each
 * conversation's last chat message), conversations (with unread counts, last-message ids and
 * exact `updated_at`), contact-inboxes, contacts, users, agent bots, teams, inboxes, accounts and
 * attachments. In a transaction it runs as a named prepared statement on its connection.
 */
export async function loadBatch(manager: EntityManager, events: readonly OutboxEvent[]): Promise<Batch> {
  const dataSource = manager.connection;
  const ids = idsOf(events);
  const text = statementsOf(dataSource)(LOAD_BATCH);
  const parameters = batchParameters(ids);
  const [row] = manager.queryRunner ? await queryPrepared<BatchRow>(manager.queryRunner, STATEMENT_NAME, text, parameters) : ((await manager.query(text, parameters)) as BatchRow[]);

  const messages = byId(hydrate(dataSource, Message, row.messages));
  const conversations = byId(hydrate(dataSource, Conversation, row.conversations));
  const updatedAtSeconds = new Map<number, number>();
  const unreadCounts = new Map<number, number>();
  const lastMessageIds = new Map<number, number>();
  for (const raw of (row.conversations ?? []) as ConversationExtras[]) {
    updatedAtSeconds.set(raw.id, Number(raw.updated_epoch));
    unreadCounts.set(raw.id, Number(raw.unread_count));
    if (raw.last_message_id != null) lastMessageIds.set(raw.id, Number(raw.last_message_id));
  }
  // A widget event's conversation: its contact-inbox's newest (Chatwoot's `conversations.last`).
  const widgetIds = new Set(ids.widgetContactInboxes);
  const currentConversationIds = new Map<number, number>();
  for (const conversation of conversations.values()) {
    const ci = conversation.contactInboxId;
    if (ci != null && widgetIds.has(ci) && conversation.id > (currentConversationIds.get(ci) ?? 0)) currentConversationIds.set(ci, conversation.id);
  }
  const attachments = new Map<number, Attachment[]>();
  for (const attachment of hydrate(dataSource, Attachment, row.attachments)) {
    const list = attachments.get(attachment.messageId);
    if (list) list.push(attachment);
    else attachments.set(attachment.messageId, [attachment]);
  }
  return {
    messages,
    conversations,
    updatedAtSeconds,
    unreadCounts,
    lastMessageIds,
    currentConversationIds,
    contactInboxes: byId(hydrate(dataSource, ContactInbox, row.contact_inboxes)),
    contacts: byId(hydrate(dataSource, Contact, row.contacts)),
    users: byId(hydrate(dataSource, User, row.users)),
    agentBots: byId(hydrate(dataSource, AgentBot, row.agent_bots)),
    teams: byId(hydrate(dataSource, Team, row.teams)),
    inboxes: byId(hydrate(dataSource, Inbox, row.inboxes)),
    accounts: byId(hydrate(dataSource, Account, row.accounts)),
    attachments,
  };
}

const STATEMENT_NAME = "chatwoot_webhooks_load_batch";
