/**
 * Message events are written by the triggers on `messages` (migration 1796800000000), inside the
 * INSERT or UPDATE itself: messages written with raw SQL or QueryBuilder are delivered like saved
 * ones, and the host's save still wakes the dispatcher at its commit.
 */
import type { Webhooks } from "../../src/create-webhooks";
import { Message, WebhookEvent } from "../../src/entities";
import { missingSchema } from "../../src/schema-check";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { testWebhooks, settle } from "../helpers/webhooks";

type Scene = Awaited<ReturnType<typeof makeScene>>;

/** The structure of a JSON value: its keys in order and the types of its leaves, not the values. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === "object") return Object.entries(value).map(([key, inner]) => [key, shape(inner)]);
  return value === null ? "null" : typeof value;
}

describe("message capture by trigger", () => {
  let db: TestDatabase;
  let receiver: Receiver;
  let webhooks: Webhooks;

  beforeAll(async () => {
    db = await createTestDatabase("capture_trigger");
  });

  beforeEach(async () => {
    receiver = await startReceiver();
    webhooks = testWebhooks(db.dataSource);
  });

  afterEach(async () => {
    await webhooks.close();
    await receiver.close();
    await db.dataSource.query("DELETE FROM webhooks");
    await db.dataSource.query("DELETE FROM webhook_events");
  });

  afterAll(async () => {
    await db.drop();
  });

  const bodies = () => receiver.requests.map((request) => JSON.parse(request.body));
  /** The account's message events (its contact and conversation record their own). */
  const eventsOf = (scene: Scene) => db.dataSource.getRepository(WebhookEvent).find({ where: { accountId: scene.account.id, subjectType: "Message" }, order: { id: "ASC" } });
  /** Webhooks that only a wake-up can start before a minute has passed. */
  const withoutPolling = async () => {
    await webhooks.close();
    webhooks = testWebhooks(db.dataSource, { pollIntervalMs: 60_000 });
  };
  const insertRaw = async (scene: Scene, content: string, messageType = "incoming"): Promise<number> => {
    const [row] = (await db.dataSource.query(
      `INSERT INTO messages (account_id, inbox_id, conversation_id, content, message_type, sender_type, sender_id) VALUES ($1, $2, $3, $4, $5, 'Contact', $6) RETURNING id`,
      [scene.account.id, scene.inbox.id, scene.conversation.id, content, messageType, scene.contact.id],
    )) as Array<{ id: number }>;
    return row.id;
  };

  it("delivers messages inserted with raw SQL and QueryBuilder as message_created, shaped like a saved one's", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, receiver.url);
    const saved = await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "saved" }));
    const raw = await insertRaw(scene, "raw");
    await db.dataSource
      .createQueryBuilder()
      .insert()
      .into(Message)
      .values({ accountId: scene.account.id, inboxId: scene.inbox.id, conversationId: scene.conversation.id, content: "built", messageType: "incoming", senderType: "Contact", senderId: scene.contact.id })
      .execute();
    await settle(webhooks);

    expect(bodies().map((body) => [body.event, body.content])).toEqual([
      ["message_created", "saved"],
      ["message_created", "raw"],
      ["message_created", "built"],
    ]);
    const [fromSave, fromSql, fromBuilder] = bodies();
    expect([fromSave.id, fromSql.id]).toEqual([saved.id, raw]);
    expect(shape(fromSql)).toEqual(shape(fromSave));
    expect(shape(fromBuilder)).toEqual(shape(fromSave));
    expect((await eventsOf(scene)).map((event) => [event.event, event.subjectType, event.inboxId, event.data])).toEqual([
      ["message_created", "Message", scene.inbox.id, null],
      ["message_created", "Message", scene.inbox.id, null],
      ["message_created", "Message", scene.inbox.id, null],
    ]);
  });

  it("finds a raw-SQL message with the dispatcher's poll, no save having woken it", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, receiver.url);
    await webhooks.dispatcher.start();
    await insertRaw(scene, "polled");
    await receiver.waitFor(1, 2000);
    expect(bodies().map((body) => [body.event, body.content])).toEqual([["message_created", "polled"]]);
  });

  it("delivers a raw-SQL update of the content as message_updated", async () => {
    const scene = await makeScene(db.dataSource);
    const id = await insertRaw(scene, "first");
    await makeWebhook(db.dataSource, scene.account.id, receiver.url);
    await db.dataSource.query(`UPDATE messages SET content = 'edited', updated_at = now() WHERE id = $1`, [id]);
    await settle(webhooks);
    expect(bodies().map((body) => [body.event, body.id, body.content])).toEqual([["message_updated", id, "edited"]]);
    const updated = (await eventsOf(scene)).filter((event) => event.event === "message_updated");
    expect(updated.map((event) => [event.subjectId, event.data])).toEqual([[id, null]]);
  });

  it("records nothing for an update that changes nothing, or only the timestamps", async () => {
    const scene = await makeScene(db.dataSource);
    const message = await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "same" }));
    await db.dataSource.query("DELETE FROM webhook_events");
    await db.dataSource.query(`UPDATE messages SET content = content WHERE id = $1`, [message.id]);
    await db.dataSource.query(`UPDATE messages SET updated_at = now() + interval '1 minute' WHERE id = $1`, [message.id]);
    await db.dataSource.query(`UPDATE messages SET created_at = created_at - interval '1 minute' WHERE id = $1`, [message.id]);
    await db.dataSource.getRepository(Message).save(message);
    expect(await eventsOf(scene)).toEqual([]);
  });

  it("records nothing for activity messages, inserted or updated", async () => {
    const scene = await makeScene(db.dataSource);
    const id = await insertRaw(scene, "Conversation was resolved", "activity");
    await db.dataSource.query(`UPDATE messages SET content = 'Conversation was reopened' WHERE id = $1`, [id]);
    const saved = await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { messageType: "activity", content: "Assigned", senderType: null, senderId: null }));
    saved.content = "Unassigned";
    await db.dataSource.getRepository(Message).save(saved);
    expect(await eventsOf(scene)).toEqual([]);
  });

  it("records nothing for a rolled-back transaction", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, receiver.url);
    const id = await insertRaw(scene, "before");
    await db.dataSource.query("DELETE FROM webhook_events");
    await expect(
      db.dataSource.transaction(async (manager) => {
        await manager.query(`INSERT INTO messages (account_id, inbox_id, conversation_id, content) VALUES ($1, $2, $3, 'rolled back')`, [scene.account.id, scene.inbox.id, scene.conversation.id]);
        await manager.query(`UPDATE messages SET content = 'edited, rolled back' WHERE id = $1`, [id]);
        await manager.save(newMessage(manager, scene.conversation, { content: "saved, rolled back" }));
        expect(await manager.count(WebhookEvent, { where: { accountId: scene.account.id, subjectType: "Message" } })).toBe(3);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    await settle(webhooks);
    expect(await eventsOf(scene)).toEqual([]);
    expect(receiver.requests).toHaveLength(0);
  });

  it("records one event for the host's save in a transaction and wakes the dispatcher at its commit", async () => {
    await withoutPolling();
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, receiver.url);
    await webhooks.dispatcher.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    let id = 0;
    await db.dataSource.transaction(async (manager) => {
      id = (await manager.save(newMessage(manager, scene.conversation, { content: "in a transaction" }))).id;
      // Nothing may go out before the COMMIT.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(receiver.requests).toHaveLength(0);
    });
    // Only the commit's wake-up can bring it this soon: the next poll is a minute away.
    await receiver.waitFor(1, 2000);
    expect(bodies().map((body) => [body.event, body.id])).toEqual([["message_created", id]]);
    expect((await eventsOf(scene)).map((event) => [event.event, event.subjectId])).toEqual([["message_created", id]]);
  });

  it("wakes the dispatcher at the commit of a saved update too", async () => {
    await withoutPolling();
    const scene = await makeScene(db.dataSource);
    const message = await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "first" }));
    await makeWebhook(db.dataSource, scene.account.id, receiver.url);
    await webhooks.dispatcher.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await db.dataSource.transaction(async (manager) => {
      message.content = "edited";
      await manager.save(message);
    });
    await receiver.waitFor(1, 2000);
    expect(bodies().map((body) => [body.event, body.content])).toEqual([["message_updated", "edited"]]);
  });

  it("keeps recording messages after close(): the triggers belong to the migrations", async () => {
    const scene = await makeScene(db.dataSource);
    await webhooks.close();
    const saved = await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "after close" }));
    expect((await eventsOf(scene)).map((event) => [event.event, event.subjectId])).toEqual([["message_created", saved.id]]);
    webhooks = testWebhooks(db.dataSource);
  });

  it("stops recording messages when its migration is undone, and the schema check says so", async () => {
    const scene = await makeScene(db.dataSource);
    // Undo migrations down to and including the one that made the triggers.
    const last = () => db.dataSource.query(`SELECT name FROM migrations ORDER BY id DESC LIMIT 1`) as Promise<Array<{ name: string }>>;
    for (let undone = false; !undone; ) {
      undone = (await last())[0].name === "CaptureMessagesByTrigger1796800000000";
      await db.dataSource.undoLastMigration();
    }
    try {
      expect(await missingSchema(db.dataSource)).toEqual(["messages trigger webhooks_message_created", "messages trigger webhooks_message_updated"]);
      const id = await insertRaw(scene, "not recorded");
      await db.dataSource.query(`UPDATE messages SET content = 'still not recorded' WHERE id = $1`, [id]);
      expect(await eventsOf(scene)).toEqual([]);
    } finally {
      await db.dataSource.runMigrations();
    }
    expect(await missingSchema(db.dataSource)).toEqual([]);
  });
});
