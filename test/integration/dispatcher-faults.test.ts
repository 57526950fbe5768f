import type { ChildProcess } from "node:child_process";
import { Client } from "pg";
import type { DataSource } from "typeorm";
import type { Webhooks } from "../../src/create-webhooks";
import { Message } from "../../src/entities";
import { createTestDatabase, describeWithPostgres, type TestDatabase } from "../helpers/database";
import { makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { eventually, testWebhooks } from "../helpers/webhooks";
import { startDispatcherProcess } from "../helpers/spawn-dispatcher";

async function saveMessages(dataSource: DataSource, conversation: Parameters<typeof newMessage>[1], count: number, prefix: string): Promise<string[]> {
  const contents = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  for (let i = 0; i < count; i += 100) {
    await dataSource.getRepository(Message).save(contents.slice(i, i + 100).map((content) => newMessage(dataSource, conversation, { content })));
  }
  return contents;
}

const contentsOf = (receiver: Receiver) => receiver.requests.map((request) => JSON.parse(request.body).content as string);

describeWithPostgres("dispatchers under faults (real PostgreSQL)", () => {
  let db: TestDatabase;
  let receiver: Receiver;

  beforeAll(async () => {
    db = await createTestDatabase("faults");
  });

  afterAll(async () => {
    await db.drop();
  });

  beforeEach(async () => {
    receiver = await startReceiver();
  });

  afterEach(async () => {
    await receiver.close();
    await db.dataSource.query("DELETE FROM webhooks");
    await db.dataSource.query("DELETE FROM webhook_events");
  });

  it("two dispatchers on two connections deliver 1,000 messages exactly once", async () => {
    const other = await db.open();
    const first = testWebhooks(db.dataSource);
    const second = testWebhooks(other);
    try {
      const scene = await makeScene(db.dataSource);
      await makeWebhook(db.dataSource, scene.account.id, receiver.url);
      const contents = await saveMessages(db.dataSource, scene.conversation, 1000, "pair");
      await Promise.all([first.dispatcher.start(), second.dispatcher.start()]);
      await receiver.waitFor(1000, 60000);
      await eventually(async () => (await first.dispatcher.stats()).pending === 0, 20000, "all recorded");
      await new Promise((resolve) => setTimeout(resolve, 300)); // room for a stray duplicate to show up
      expect(receiver.requests).toHaveLength(1000);
      expect(new Set(receiver.requests.map((r) => r.headers["x-chatwoot-delivery"])).size).toBe(1000);
      expect(contentsOf(receiver).sort()).toEqual([...contents].sort());
    } finally {
      await first.close();
      await second.close();
      await other.destroy();
    }
  }, 90000);

  it("loses nothing when a dispatcher process is killed with SIGKILL mid-burst", async () => {
    const writer = testWebhooks(db.dataSource); // records events; its dispatcher stays off
    let child: ChildProcess | null = null;
    try {
      const scene = await makeScene(db.dataSource);
      // message_created only: the dispatcher process applies the messages' side effects (their contact_updated is not what this counts).
      await makeWebhook(db.dataSource, scene.account.id, receiver.url, { subscriptions: ["message_created"] });
      receiver.respond(() => ({ status: 200, delayMs: 40 }));
      const contents = await saveMessages(db.dataSource, scene.conversation, 500, "burst");
      child = await startDispatcherProcess(db.url);
      await receiver.waitFor(100, 30000);
      child.kill("SIGKILL");
      await new Promise((resolve) => child?.once("exit", resolve));
      const beforeRestart = receiver.requests.length;
      expect(beforeRestart).toBeLessThan(500);

      child = await startDispatcherProcess(db.url);
      await eventually(() => new Set(contentsOf(receiver)).size === 500, 60000, "all 500 messages");
      await eventually(async () => (await writer.dispatcher.stats()).pending === 0, 20000, "all recorded");
      expect([...new Set(contentsOf(receiver))].sort()).toEqual([...contents].sort());
      // Duplicates are possible only for attempts not yet recorded at the kill (at most `concurrency`
      // in flight plus `concurrency` awaiting their batched write), and carry the same delivery id.
      const byId = new Map<string, Set<string>>();
      for (const request of receiver.requests) {
        const id = String(request.headers["x-chatwoot-delivery"]);
        byId.set(id, (byId.get(id) ?? new Set()).add(request.body));
      }
      expect(byId.size).toBe(500);
      expect([...byId.values()].every((set) => set.size === 1)).toBe(true);
      expect(receiver.requests.length - 500).toBeLessThanOrEqual(2 * 16);
    } finally {
      child?.kill("SIGKILL");
      await writer.close();
    }
  }, 120000);

  it("recovers when PostgreSQL terminates its connections (LISTEN included), and loses nothing", async () => {
    // The dispatcher polls only once a minute: prompt deliveries prove the NOTIFY/LISTEN path,
    // from a writer on another connection pool, before and after the kill.
    const sender: Webhooks = testWebhooks(db.dataSource, { pollIntervalMs: 60_000 });
    const writerSource = await db.open();
    const writer: Webhooks = testWebhooks(writerSource);
    try {
      const scene = await makeScene(writerSource);
      await makeWebhook(writerSource, scene.account.id, receiver.url);
      await sender.dispatcher.start();
      await new Promise((resolve) => setTimeout(resolve, 300)); // LISTEN is up; the first pass is done
      receiver.respond(() => ({ status: 200, delayMs: 20 }));
      const before = await saveMessages(writerSource, scene.conversation, 100, "before");
      await eventually(() => new Set(contentsOf(receiver)).size === 100, 10000, "the first 100 messages");
      const admin = new Client({ connectionString: db.url });
      await admin.connect();
      const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
      await admin.end();
      expect(killed.rowCount).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the LISTEN connection comes back after about 1 s
      let after: string[] = [];
      await eventually(async () => {
        try {
          after = await saveMessages(writerSource, scene.conversation, 50, "after");
          return true;
        } catch {
          return false; // a pooled connection that died under us; the next try gets a fresh one
        }
      }, 10000, "a save after the kill");
      await eventually(() => new Set(contentsOf(receiver)).size >= 150, 10000, "the 50 saved after the kill, without waiting for the poll");
      expect([...new Set(contentsOf(receiver))].sort()).toEqual([...before, ...after].sort());
      expect(receiver.requests).toHaveLength(150);
    } finally {
      await sender.close();
      await writer.close();
      await writerSource.destroy();
    }
  }, 60000);
});
