import { randomBytes } from "node:crypto";
import type { DataSource } from "typeorm";
import { Message } from "../src";

/** What the benchmark writes messages into: one account, one agent, one inbox, many conversations. */
export interface Scene {
  accountId: number;
  userId: number;
  inboxId: number;
  conversationIds: number[];
  webhookIds: number[];
}

/** Every event a Chatwoot account webhook can subscribe to (what the settings page ticks by default). */
const SUBSCRIPTIONS = ["conversation_created", "conversation_status_changed", "conversation_updated", "message_created", "message_updated", "contact_created", "contact_updated", "webwidget_triggered", "conversation_typing_on", "conversation_typing_off"];

/**
 * Seed a scene with plain SQL (seeding is not what is measured, and the library may not be
 * attached yet): `conversations` conversations, each with its own contact, and one subscribed
 * account webhook per URL. Webhooks are created first, so every later event reaches them.
 */
export async function seedScene(dataSource: DataSource, settings: { conversations: number; webhookUrls: string[] }): Promise<Scene> {
  const tag = randomBytes(3).toString("hex");
  const one = async (sql: string, params: unknown[]) => ((await dataSource.query(sql, params)) as Array<{ id: number }>)[0].id;
  const accountId = await one(`INSERT INTO accounts (name) VALUES ($1) RETURNING id`, [`Bench ${tag}`]);
  const userId = await one(`INSERT INTO users (name, email) VALUES ('Agent', $1) RETURNING id`, [`agent-${tag}@bench.test`]);
  await dataSource.query(`INSERT INTO account_users (account_id, user_id, role) VALUES ($1, $2, 'agent')`, [accountId, userId]);
  const inboxId = await one(`INSERT INTO inboxes (account_id, name, channel_type) VALUES ($1, 'Website', 'Channel::WebWidget') RETURNING id`, [accountId]);
  const webhookIds: number[] = [];
  for (const url of settings.webhookUrls) {
    webhookIds.push(await one(`INSERT INTO webhooks (account_id, url, subscriptions, secret) VALUES ($1, $2, $3, $4) RETURNING id`, [accountId, url, JSON.stringify(SUBSCRIPTIONS), randomBytes(12).toString("hex")]));
  }
  await dataSource.query(
    `INSERT INTO contacts (account_id, name, email) SELECT $1, 'Contact ' || g, 'contact-' || g || '-' || $3 || '@bench.test' FROM generate_series(1, $2) g`,
    [accountId, settings.conversations, tag],
  );
  await dataSource.query(`INSERT INTO contact_inboxes (contact_id, inbox_id, source_id) SELECT id, $2, 'source-' || id FROM contacts WHERE account_id = $1 ORDER BY id`, [accountId, inboxId]);
  const conversations = (await dataSource.query(
    `INSERT INTO conversations (account_id, inbox_id, contact_id, contact_inbox_id)
     SELECT $1, ci.inbox_id, ci.contact_id, ci.id FROM contact_inboxes ci WHERE ci.inbox_id = $2 ORDER BY ci.id RETURNING id`,
    [accountId, inboxId],
  )) as Array<{ id: number }>;
  return { accountId, userId, inboxId, conversationIds: conversations.map((row) => row.id), webhookIds };
}

/**
 * Save one message exactly as the host app's `POST .../messages` route does (examples/host/messages.ts):
 * in a transaction, `manager.save(Message, manager.create(Message, {...}))` with the ids of its
 * account, inbox, conversation and sender. Resolves after the commit.
 */
export function saveMessage(dataSource: DataSource, scene: Scene, index: number, content: string): Promise<Message> {
  const conversationId = scene.conversationIds[index % scene.conversationIds.length];
  return dataSource.transaction((manager) =>
    manager.save(
      Message,
      manager.create(Message, {
        accountId: scene.accountId,
        inboxId: scene.inboxId,
        conversationId,
        content,
        messageType: "outgoing",
        contentType: "text",
        contentAttributes: {},
        private: false,
        senderType: "User",
        senderId: scene.userId,
      }),
    ),
  );
}

/**
 * A backlog written straight with SQL, for sizes TypeORM saves would take minutes to write:
 * `count` messages spread over the scene's conversations, each with its `message_created` outbox
 * event (written by the library's trigger on `messages`), not yet fanned out.
 */
export async function insertBacklog(dataSource: DataSource, scene: Scene, count: number, prefix: string): Promise<void> {
  const chunk = 20_000;
  for (let start = 0; start < count; start += chunk) {
    const size = Math.min(chunk, count - start);
    await dataSource.query(
      `INSERT INTO messages (account_id, inbox_id, conversation_id, content, message_type, sender_type, sender_id)
       SELECT $1, $2, ($3::int[])[1 + (g % cardinality($3::int[]))], $4 || '-' || g, 'outgoing', 'User', $5
       FROM generate_series($6::int, $7::int) g
       ORDER BY g`,
      [scene.accountId, scene.inboxId, scene.conversationIds, prefix, scene.userId, start, start + size - 1],
    );
  }
}
