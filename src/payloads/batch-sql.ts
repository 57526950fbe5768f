import type { DataSource, EntityMetadata, ObjectLiteral } from "typeorm";
import type { Tables } from "../tables";

/**
 * What a batch's events name directly (the rest is reached from these rows): the parameters of
 * {@link LOAD_BATCH}, in its order.
 */
export interface BatchIds {
  messages: number[];
  conversations: number[];
  contacts: number[];
  inboxes: number[];
  /** Contact-inboxes of web widget events: their newest conversation is loaded too. */
  widgetContactInboxes: number[];
  users: number[];
  agentBots: number[];
  accounts: number[];
}

/** The ids in {@link LOAD_BATCH}'s parameter order. */
export const batchParameters = (ids: BatchIds): number[][] => [ids.messages, ids.conversations, ids.contacts, ids.inboxes, ids.widgetContactInboxes, ids.users, ids.agentBots, ids.accounts];

/** What {@link LOAD_BATCH} returns: one row, each entity's rows as a JSON array (null for none). */
export interface BatchRow {
  messages: ObjectLiteral[] | null;
  conversations: ObjectLiteral[] | null;
  contact_inboxes: ObjectLiteral[] | null;
  contacts: ObjectLiteral[] | null;
  users: ObjectLiteral[] | null;
  agent_bots: ObjectLiteral[] | null;
  teams: ObjectLiteral[] | null;
  inboxes: ObjectLiteral[] | null;
  accounts: ObjectLiteral[] | null;
  attachments: ObjectLiteral[] | null;
}

/**
 * Everything a batch of events refers to, in one statement (one round trip, where loading each
 * table in turn took seven to eleven): the messages and each conversation's last chat message
 * (Chatwoot's `messages.chat.last`), the conversations with their unread count (Chatwoot counts
 * `unread_incoming_messages.last(10)`, so never above 10), last message id and exact
 * `updated_at`, and the newest conversation of each widget event's contact-inbox; then the
 * contact-inboxes, contacts, users, agent bots (conversation assignees, message senders, typing
 * users), inboxes, teams, attachments and accounts those rows name. Each id list is a set of
 * primary keys, so each table is read by index however the batch is made up.
 */
export const LOAD_BATCH = (t: Tables): string => `
WITH m AS (
  SELECT * FROM ${t.messages} WHERE id = ANY($1::int[])
), current_conversations AS (
  SELECT DISTINCT ON (x.contact_inbox_id) x.id FROM ${t.conversations} x
  WHERE x.contact_inbox_id = ANY($5::int[]) ORDER BY x.contact_inbox_id, x.id DESC
), c AS (
  SELECT c.*,
         EXTRACT(EPOCH FROM c.updated_at)::text AS updated_epoch,
         (SELECT count(*) FROM (SELECT 1 FROM ${t.messages} u
            WHERE u.conversation_id = c.id AND u.account_id = c.account_id AND u.message_type = 'incoming'
              AND (c.agent_last_seen_at IS NULL OR u.created_at > c.agent_last_seen_at)
            LIMIT 10) unread)::int AS unread_count,
         (SELECT l.id FROM ${t.messages} l
            WHERE l.conversation_id = c.id AND l.message_type <> 'activity' AND l.private = false
            ORDER BY l.created_at DESC, l.id DESC LIMIT 1) AS last_message_id
  FROM ${t.conversations} c
  WHERE c.id IN (SELECT unnest($2::int[]) UNION SELECT conversation_id FROM m UNION SELECT id FROM current_conversations)
), all_messages AS (
  SELECT * FROM m
  UNION ALL
  SELECT * FROM ${t.messages} WHERE id IN (SELECT last_message_id FROM c) AND id NOT IN (SELECT id FROM m)
), ci AS (
  SELECT * FROM ${t.contactInboxes} WHERE id IN (SELECT contact_inbox_id FROM c UNION SELECT unnest($5::int[]))
), contacts AS (
  SELECT * FROM ${t.contacts}
  WHERE id IN (SELECT unnest($3::int[]) UNION SELECT contact_id FROM c UNION SELECT contact_id FROM ci
               UNION SELECT sender_id FROM all_messages WHERE sender_type = 'Contact')
), users AS (
  SELECT * FROM ${t.users}
  WHERE id IN (SELECT unnest($6::int[]) UNION SELECT assignee_id FROM c UNION SELECT sender_id FROM all_messages WHERE sender_type = 'User')
), agent_bots AS (
  SELECT * FROM ${t.agentBots}
  WHERE id IN (SELECT unnest($7::int[]) UNION SELECT assignee_agent_bot_id FROM c UNION SELECT sender_id FROM all_messages WHERE sender_type = 'AgentBot')
), inboxes AS (
  SELECT * FROM ${t.inboxes}
  WHERE id IN (SELECT unnest($4::int[]) UNION SELECT inbox_id FROM c UNION SELECT inbox_id FROM ci UNION SELECT inbox_id FROM all_messages)
), teams AS (
  SELECT * FROM ${t.teams} WHERE id IN (SELECT team_id FROM c)
), attachments AS (
  SELECT * FROM ${t.attachments} WHERE message_id IN (SELECT id FROM all_messages)
), accounts AS (
  SELECT * FROM ${t.accounts}
  WHERE id IN (SELECT unnest($8::int[]) UNION SELECT account_id FROM all_messages UNION SELECT account_id FROM c
               UNION SELECT account_id FROM contacts UNION SELECT account_id FROM inboxes)
)
SELECT (SELECT json_agg(r) FROM all_messages r) AS messages,
       (SELECT json_agg(r) FROM c r) AS conversations,
       (SELECT json_agg(r) FROM ci r) AS contact_inboxes,
       (SELECT json_agg(r) FROM contacts r) AS contacts,
       (SELECT json_agg(r) FROM users r) AS users,
       (SELECT json_agg(r) FROM agent_bots r) AS agent_bots,
       (SELECT json_agg(r) FROM teams r) AS teams,
       (SELECT json_agg(r) FROM inboxes r) AS inboxes,
       (SELECT json_agg(r) FROM accounts r) AS accounts,
       (SELECT json_agg(r ORDER BY r.id) FROM attachments r) AS attachments`;

const hydrators = new WeakMap<EntityMetadata, (raw: ObjectLiteral) => ObjectLiteral>();

/**
 * Turns rows of `entity` as {@link LOAD_BATCH} returns them (JSON, column names) into entities, the
 * way TypeORM hydrates a `find()`: each column through the driver's `prepareHydratedValue`
 * (timestamps become Dates, and so on). Built once per entity.
 */
export function hydrate<T extends ObjectLiteral>(dataSource: DataSource, entity: new () => T, rows: ObjectLiteral[] | null): T[] {
  if (!rows) return [];
  const metadata = dataSource.getMetadata(entity);
  let build = hydrators.get(metadata);
  if (!build) {
    const columns = metadata.columns.map((column) => ({ column, property: column.propertyName, name: column.databaseName }));
    const driver = dataSource.driver;
    build = (raw) => {
      const target = metadata.create() as ObjectLiteral;
      for (const { column, property, name } of columns) target[property] = driver.prepareHydratedValue(raw[name] ?? null, column);
      return target;
    };
    hydrators.set(metadata, build);
  }
  return rows.map(build) as T[];
}
