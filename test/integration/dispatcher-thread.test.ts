import { EventEmitter } from "node:events";
import type { Worker } from "node:worker_threads";
import type { AttemptRecord, WebhooksContext, WebhooksEventMap } from "../../src/context";
import { createDispatcher } from "../../src/delivery/dispatcher";
import { planThread } from "../../src/delivery/thread/thread-config";
import { createThreadDispatcher } from "../../src/delivery/thread/thread-dispatcher";
import { resolveOptions, type Logger } from "../../src/options";
import { testClock } from "../helpers/clock";
import { describeWithPostgres } from "../helpers/database";
import { makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { verifyBothSignatures } from "../helpers/signatures";
import { allFinished, eventually, testWebhooks, useWebhooksTestBed } from "../helpers/webhooks";
import { Message } from "../../src/entities";

/** A logger that keeps every line. */
function collectingLogger(): Logger & { lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> } {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Hold this thread's event loop for `ms` (no timer, no I/O callback runs meanwhile). */
function blockThisThread(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

describeWithPostgres("the dispatcher on its own thread", () => {
  const bed = useWebhooksTestBed("thread");
  const { open } = bed;

  it("is the default, and fans out while the host's event loop is busy", async () => {
    const logger = collectingLogger();
    const webhooks = open({ logger, pollIntervalMs: 60_000 });
    expect(webhooks.dispatcherPlacement).toEqual({ thread: true, reason: null });
    const scene = await makeScene(bed.db.dataSource);
    await makeWebhook(bed.db.dataSource, scene.account.id, `${bed.receiver.url}/hook`, { subscriptions: ["message_created"] });
    await webhooks.dispatcher.start();
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: "info", msg: "webhook dispatcher started on its own thread" }));

    await bed.db.dataSource.getRepository(Message).save(newMessage(bed.db.dataSource, scene.conversation));
    // The commit told the thread; this thread now does nothing for 1.5 s. A dispatcher sharing
    // this event loop could not fan out before it ends (and the poll is a minute away).
    const blockedAt = new Date();
    blockThisThread(1500);
    const [row] = (await bed.db.dataSource.query("SELECT min(created_at) AS fanned_out_at FROM webhook_deliveries")) as Array<{ fanned_out_at: Date | null }>;
    expect(row.fanned_out_at).not.toBeNull();
    expect(row.fanned_out_at!.getTime()).toBeLessThan(blockedAt.getTime() + 1000);
    await bed.receiver.waitFor(1);
    await eventually(() => allFinished(bed.db.dataSource, 1), 5000, "the delivery to be recorded");
  });

  it("reports its events, activity and stats to the host's thread", async () => {
    const webhooks = open();
    const scene = await makeScene(bed.db.dataSource);
    const webhook = await makeWebhook(bed.db.dataSource, scene.account.id, `${bed.receiver.url}/hook`, { subscriptions: ["message_created"] });
    const succeeded: AttemptRecord[] = [];
    webhooks.events.on("delivery.succeeded", (record) => succeeded.push(record));
    await webhooks.dispatcher.start();
    expect(webhooks.dispatcher.activity()).toMatchObject({ running: true, listening: expect.any(Boolean) });

    const message = await bed.db.dataSource.getRepository(Message).save(newMessage(bed.db.dataSource, scene.conversation, { content: "from the thread" }));
    await eventually(() => succeeded.length === 1, 5000, "delivery.succeeded in the host's thread");
    const [request] = bed.receiver.requests;
    verifyBothSignatures(request, webhook.secret);
    expect(JSON.parse(request.body)).toMatchObject({ event: "message_created", id: message.id, content: "from the thread" });
    expect(succeeded[0]).toMatchObject({ ok: true, status: 200, webhookId: webhook.id, event: "message_created", deliveryStatus: "succeeded", trigger: "scheduled" });
    expect(succeeded[0].attemptedAt).toBeInstanceOf(Date);
    // The thread reports its activity every pollIntervalMs (at most 250 ms): it lags that much at most.
    await eventually(() => webhooks.dispatcher.activity().lastPassEndedAt instanceof Date && webhooks.dispatcher.activity().inFlight === 0, 2000, "the thread's activity");
    expect(await webhooks.dispatcher.stats()).toMatchObject({ succeeded: 1, pending: 0, inFlight: 0, buffered: 0 });

    await webhooks.dispatcher.stop();
    expect(webhooks.dispatcher.activity().running).toBe(false);
    expect((await webhooks.health()).checks.dispatcher).toMatchObject({ ok: false, state: "stopped" });
  });

  it("hands the thread's log lines to the host's logger, errors as errors", async () => {
    const logger = collectingLogger();
    // Not allowed to send to loopback: the attempt is refused, and the thread logs it.
    const webhooks = open({ logger, allowPrivateNetwork: false, retrySchedule: [] });
    const scene = await makeScene(bed.db.dataSource);
    await makeWebhook(bed.db.dataSource, scene.account.id, `${bed.receiver.url}/hook`, { subscriptions: ["message_created"] });
    const failed: AttemptRecord[] = [];
    webhooks.events.on("delivery.failed", (record) => failed.push(record));
    await webhooks.dispatcher.start();
    await bed.db.dataSource.getRepository(Message).save(newMessage(bed.db.dataSource, scene.conversation));
    await eventually(() => failed.length === 1, 5000, "delivery.failed");
    expect(failed[0].error).toMatch(/private|loopback|not allowed|blocked/i);
    expect(bed.receiver.requests).toHaveLength(0);
    await webhooks.dispatcher.stop();
    const fromThread = logger.lines.filter((line) => line.level === "warn" || line.level === "error");
    expect(fromThread.length).toBeGreaterThan(0);
  });

  it("stops after the attempts in flight are answered and recorded", async () => {
    bed.receiver.respond(() => ({ status: 200, body: "ok", delayMs: 400 }));
    const webhooks = open();
    const scene = await makeScene(bed.db.dataSource);
    await makeWebhook(bed.db.dataSource, scene.account.id, `${bed.receiver.url}/hook`, { subscriptions: ["message_created"] });
    await webhooks.dispatcher.start();
    await bed.db.dataSource.getRepository(Message).save(newMessage(bed.db.dataSource, scene.conversation));
    await bed.receiver.waitFor(1);
    await webhooks.dispatcher.stop();
    expect(await allFinished(bed.db.dataSource, 1)).toBe(true);
  });

  it("runs in the host's thread when an option holds this thread's values, and says why", async () => {
    const clock = testClock();
    const webhooks = testWebhooks(bed.db.dataSource, { clock });
    expect(webhooks.dispatcherPlacement).toEqual({ thread: false, reason: "option clock holds a value of this thread" });
    await webhooks.close();
    expect(open({ dispatcherThread: false }).dispatcherPlacement).toEqual({ thread: false, reason: "option dispatcherThread is false" });
  });

  it("refuses dispatcherThread: true where it cannot be", async () => {
    const clock = testClock();
    expect(() => testWebhooks(bed.db.dataSource, { clock, dispatcherThread: true })).toThrow("createWebhooks(): option dispatcherThread is true, but option clock holds a value of this thread.");
    const other = await bed.db.open({ password: () => "secret" } as never);
    try {
      expect(() => testWebhooks(other, { dispatcherThread: true })).toThrow(/connection settings hold values a thread cannot receive/);
    } finally {
      await other.destroy();
    }
  });

  it("starts another thread when its thread ends unexpectedly, and loses nothing", async () => {
    const events = new EventEmitter<WebhooksEventMap>();
    const logger = collectingLogger();
    const options = resolveOptions({ dataSource: bed.db.dataSource, allowPrivateNetwork: true, pollIntervalMs: 50, timeoutMs: 2000, logger, messageSideEffects: false, metrics: { enabled: false } });
    const context: WebhooksContext = { options, events, redeliver: () => Promise.reject(new Error("unused")) };
    const plan = planThread({ dataSource: bed.db.dataSource }, options, false);
    const threads: Worker[] = [];
    const errors: Error[] = [];
    events.on("dispatcher.error", (error) => errors.push(error));
    const dispatcher = createThreadDispatcher({ config: plan.config!, engine: createDispatcher(context), events, logger: options.logger, onThread: (worker) => threads.push(worker) });
    const scene = await makeScene(bed.db.dataSource);
    await makeWebhook(bed.db.dataSource, scene.account.id, `${bed.receiver.url}/hook`, { subscriptions: ["message_created"] });
    await dispatcher.start();
    try {
      await threads[0].terminate();
      expect(dispatcher.activity().running).toBe(false);
      await bed.db.dataSource.getRepository(Message).save(newMessage(bed.db.dataSource, scene.conversation));
      // 1 s after the end, plus the new thread's start (from the sources, under ts-node: seconds on a busy machine).
      await eventually(() => threads.length === 2 && dispatcher.activity().running, 20_000, "a second thread");
      expect(errors.map((error) => error.message)).toEqual(["the webhook dispatcher's thread exited with code 1"]);
      await bed.receiver.waitFor(1);
      await eventually(() => allFinished(bed.db.dataSource, 1), 5000, "the delivery to be recorded");
    } finally {
      await dispatcher.stop();
    }
  });
});
