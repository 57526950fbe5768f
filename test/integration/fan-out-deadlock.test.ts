/**
 * Two fan-outs at once (two dispatchers, or two of one dispatcher's three) apply the side effects
 * of their own batches' messages, which lock conversations and the senders' contacts. They must
 * not deadlock when the batches share rows, whatever order each batch's messages come in.
 *
 * The crossing is made deterministic, not hoped for: a third session holds contact X, so fan-out A
 * stops on it (its batch's events already locked), then fan-out B takes the next batch and stops
 * too; releasing X lets A go on first (it queued first). Without one global lock order, A then
 * wants a row B holds while B waits for X, which A now holds: PostgreSQL ends one of them with
 * 40P01 after deadlock_timeout.
 */
import type { DataSource, QueryRunner } from "typeorm";
import { Contact, Conversation, Message } from "../../src/entities";
import { createFanOut, type FanOut } from "../../src/delivery/fan-out";
import type { Load } from "../../src/delivery/scheduler";
import { createTestDatabase, describeWithPostgres, type TestDatabase } from "../helpers/database";
import { makeAccount, makeContact, makeConversation, makeInbox, newMessage } from "../helpers/fixtures";
import { eventually } from "../helpers/webhooks";

const load = (): Load => ({ busy: [], held: [], full: [], room: 100, perWebhook: 10, accounts: [], accountHeld: [], fullAccounts: [], perAccount: 100 });

describeWithPostgres("fan-outs at once and the side effects of their messages", () => {
  let db: TestDatabase;
  let sessionA: DataSource;
  let sessionB: DataSource;
  const logged: string[] = [];
  const logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (fields: unknown, message?: string) => void logged.push(`warn ${message ?? ""}`),
    error: (fields: unknown, message?: string) => void logged.push(`error ${message ?? ""}`),
  };
  const fanOutOn = (dataSource: DataSource, batchSize: number): FanOut =>
    createFanOut({ dataSource, logger, clock: () => new Date(), batchSize, leaseMs: 60_000, messageSideEffects: true });

  beforeAll(async () => {
    db = await createTestDatabase("fan_out_deadlock");
    // Each fan-out on its own DataSource, named, so the test sees when it waits for a lock.
    sessionA = await db.open({ applicationName: "fan-out-a" });
    sessionB = await db.open({ applicationName: "fan-out-b" });
  });

  afterAll(async () => {
    await db.drop();
  });

  beforeEach(() => {
    logged.length = 0;
  });

  const waitingForLock = (name: string) =>
    eventually(
      async () => (await db.dataSource.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [name])).length > 0,
      5000,
      `${name} to wait for a lock`,
    );

  /**
   * Save `messages` (each committed on its own, so their events come in this order), hold contact
   * `held` in another session, start fan-out A (its batch: the first `batchA` events), wait till it
   * waits, start B (the rest), wait till it waits, release the contact, and let both finish.
   */
  async function race(messages: Message[], batchA: number, held: Contact) {
    const saved: Message[] = [];
    for (const message of messages) saved.push(await db.dataSource.transaction((manager) => manager.save(Message, message)));
    const blocker: QueryRunner = db.dataSource.createQueryRunner();
    await blocker.connect();
    try {
      await blocker.startTransaction();
      await blocker.query(`SELECT 1 FROM contacts WHERE id = $1 FOR NO KEY UPDATE`, [held.id]);
      const a = fanOutOn(sessionA, batchA)(load, () => undefined);
      await waitingForLock("fan-out-a");
      const b = fanOutOn(sessionB, messages.length)(load, () => undefined);
      await waitingForLock("fan-out-b");
      await blocker.rollbackTransaction();
      const results = await Promise.allSettled([a, b]);
      return {
        saved,
        // "fulfilled" for each, or the error's SQLSTATE and message.
        outcomes: results.map((result) => (result.status === "fulfilled" ? `fulfilled, ${result.value.events} events` : `${(result.reason as { code?: string }).code} ${(result.reason as Error).message}`)),
      };
    } finally {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction();
      await blocker.release();
    }
  }

  /** Each message's side effects happened once: one contact_updated per contact message, and each conversation's last activity is its last message. */
  async function expectAppliedOnce(saved: Message[]) {
    const pending = await db.dataSource.query(`SELECT count(*)::int AS n FROM webhook_events WHERE event = 'message_created' AND fanned_out_at IS NULL`);
    expect(pending[0].n).toBe(0);
    for (const senderId of new Set(saved.map((message) => message.senderId))) {
      const updates = await db.dataSource.query(`SELECT count(*)::int AS n FROM webhook_events WHERE event = 'contact_updated' AND subject_id = $1`, [senderId]);
      expect({ contact: senderId, updates: updates[0].n }).toEqual({ contact: senderId, updates: saved.filter((message) => message.senderId === senderId).length });
    }
    for (const conversationId of new Set(saved.map((message) => message.conversationId))) {
      const conversation = await db.dataSource.getRepository(Conversation).findOneByOrFail({ id: conversationId });
      const last = saved.filter((message) => message.conversationId === conversationId).at(-1) as Message;
      expect(conversation.lastActivityAt.getTime()).toBe(last.createdAt.getTime());
    }
  }

  it("a fan-out locks its batch's conversations before any contact and before any side effect", async () => {
    const account = await makeAccount(db.dataSource);
    const inbox = await makeInbox(db.dataSource, account.id);
    const x = await makeContact(db.dataSource, account.id);
    const y = await makeContact(db.dataSource, account.id);
    const one = await makeConversation(db.dataSource, inbox, x);
    const two = await makeConversation(db.dataSource, inbox, y);
    await db.dataSource.query(`DELETE FROM webhook_events`);
    for (const message of [newMessage(db.dataSource, one), newMessage(db.dataSource, two)]) await db.dataSource.transaction((manager) => manager.save(Message, message));
    /** Whether another session could lock the row now (it takes and drops the lock at once). */
    const free = (table: string, id: number) =>
      db.dataSource.query(`SELECT 1 FROM ${table} WHERE id = $1 FOR NO KEY UPDATE NOWAIT`, [id]).then(
        () => true,
        (error: { code?: string }) => {
          if (error.code === "55P03") return false;
          throw error;
        },
      );
    const blocker = db.dataSource.createQueryRunner();
    await blocker.connect();
    try {
      // Conversation 2 held: the fan-out has conversation 1 and waits with no contact locked yet, so
      // no side effect ran either (the first, conversation 1's, would have locked contact X).
      await blocker.startTransaction();
      await blocker.query(`SELECT 1 FROM conversations WHERE id = $1 FOR NO KEY UPDATE`, [two.id]);
      const fanOut = fanOutOn(sessionA, 10)(load, () => undefined);
      await waitingForLock("fan-out-a");
      expect({ conversation1: await free("conversations", one.id), contactX: await free("contacts", x.id), contactY: await free("contacts", y.id) }).toEqual({ conversation1: false, contactX: true, contactY: true });
      await blocker.rollbackTransaction();
      expect((await fanOut).events).toBe(2);
    } finally {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction();
      await blocker.release();
    }
    expect(logged).toEqual([]);
  });

  it("one contact's messages in two conversations: A takes conversation 1 then 2, B conversation 2 (both lock the contact)", async () => {
    const account = await makeAccount(db.dataSource);
    const inbox = await makeInbox(db.dataSource, account.id);
    const x = await makeContact(db.dataSource, account.id);
    const one = await makeConversation(db.dataSource, inbox, x);
    const two = await makeConversation(db.dataSource, inbox, x);
    // Only the messages' events wait (not the scene's conversation_created, ...).
    await db.dataSource.query(`DELETE FROM webhook_events`);
    // A: conversation 1, contact X (waits), then conversation 2. B: conversation 2, then contact X.
    const { saved, outcomes } = await race(
      [newMessage(db.dataSource, one, { content: "a1" }), newMessage(db.dataSource, two, { content: "a2" }), newMessage(db.dataSource, two, { content: "b" })],
      2,
      x,
    );
    expect(outcomes).toEqual(["fulfilled, 2 events", "fulfilled, 1 events"]);
    expect(logged).toEqual([]);
    await expectAppliedOnce(saved);
  });

  it("two contacts whose conversations cross: A takes conversation 1 (X) and 3 (Y), B conversation 2 (Y) and 4 (X)", async () => {
    const account = await makeAccount(db.dataSource);
    const inbox = await makeInbox(db.dataSource, account.id);
    const x = await makeContact(db.dataSource, account.id);
    const y = await makeContact(db.dataSource, account.id);
    const [one, two, three, four] = [await makeConversation(db.dataSource, inbox, x), await makeConversation(db.dataSource, inbox, y), await makeConversation(db.dataSource, inbox, y), await makeConversation(db.dataSource, inbox, x)];
    // Only the messages' events wait (not the scene's conversation_created, ...).
    await db.dataSource.query(`DELETE FROM webhook_events`);
    // A: conversation 1, contact X (waits), conversation 3, contact Y. B: conversation 2, contact Y, conversation 4, contact X.
    const { saved, outcomes } = await race(
      [newMessage(db.dataSource, one), newMessage(db.dataSource, three), newMessage(db.dataSource, two), newMessage(db.dataSource, four)],
      2,
      x,
    );
    expect(outcomes).toEqual(["fulfilled, 2 events", "fulfilled, 2 events"]);
    expect(logged).toEqual([]);
    await expectAppliedOnce(saved);
  });
});
