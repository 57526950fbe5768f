/**
 * A delivery is never failed, nor an attempt counted, because this process ran out of file
 * descriptors: nothing reached the receiver. The attempt is tried again when its lease ends.
 */
import { Agent, type ClientRequestArgs } from "node:http";
import type { Duplex } from "node:stream";
import { Message, WebhookAttempt, WebhookDelivery } from "../../src/entities";
import { testClock } from "../helpers/clock";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { testWebhooks } from "../helpers/webhooks";

/** A keep-alive agent whose next `failures` sockets cannot be opened: the EMFILE a process out of descriptors gets. */
class ExhaustedAgent extends Agent {
  constructor(public failures: number) {
    super({ keepAlive: true });
  }
  createConnection(options: ClientRequestArgs, callback: (error: Error | null, socket: Duplex) => void): Duplex | null | undefined {
    if (this.failures > 0) {
      this.failures -= 1;
      const error = Object.assign(new Error("EMFILE: too many open files, socket"), { code: "EMFILE", errno: -24, syscall: "socket" });
      process.nextTick(() => callback(error, undefined as unknown as Duplex));
      return undefined;
    }
    return super.createConnection(options, callback);
  }
}

describe("local faults", () => {
  let db: TestDatabase;
  let receiver: Receiver;

  beforeAll(async () => {
    db = await createTestDatabase("local_faults");
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await receiver.close();
    await db.drop();
  });

  it("does not count or fail an attempt that could not open a socket (EMFILE); it is made again after the lease, with the same number", async () => {
    const clock = testClock();
    const agent = new ExhaustedAgent(1);
    const webhooks = testWebhooks(db.dataSource, { clock, httpAgent: agent, retryJitter: 0 });
    const errors: Error[] = [];
    webhooks.events.on("dispatcher.error", (error) => errors.push(error));
    try {
      const scene = await makeScene(db.dataSource);
      const hook = await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/hook`, { subscriptions: ["message_created"] });
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation));
      await webhooks.dispatcher.runOnce();
      const deliveries = db.dataSource.getRepository(WebhookDelivery);
      let delivery = await deliveries.findOneByOrFail({ webhookId: hook.id });
      expect(delivery).toMatchObject({ status: "pending", attempts: 0, lastError: null });
      expect(await db.dataSource.getRepository(WebhookAttempt).countBy({ deliveryId: delivery.id })).toBe(0);
      expect(receiver.requests).toHaveLength(0);
      expect(errors.map((error) => error.message)).toEqual([expect.stringMatching(/^attempt not made: EMFILE/)]);

      // Leased meanwhile: nothing is tried again until the lease ends.
      expect((await webhooks.dispatcher.runOnce()).attempted).toBe(0);
      clock.advance(2000 + 10_000);
      await webhooks.dispatcher.runOnce();
      delivery = await deliveries.findOneByOrFail({ webhookId: hook.id });
      expect(delivery).toMatchObject({ status: "succeeded", attempts: 1, lastStatusCode: 200 });
      expect(await db.dataSource.getRepository(WebhookAttempt).countBy({ deliveryId: delivery.id })).toBe(1);
      expect(receiver.requests).toHaveLength(1);
    } finally {
      await webhooks.close();
      agent.destroy();
    }
  });
});
