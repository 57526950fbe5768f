import { spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { Agent } from "node:http";
import { connect } from "node:net";
import axios from "axios";
import { Queue, Worker, type ConnectionOptions, type Job, type RedisConnectionClient } from "bullmq";
import type { DataSource } from "typeorm";
import { resolveOptions, Webhook } from "../src";
import { buildBodies, type OutboxEvent, type OutboxSubjectType } from "../src/payloads";
import { signatureHeaders } from "../src/security";
import { USER_AGENT } from "../src/version";
import type { OutboxEventName } from "../src/types";
import { saveMessage, type Scene } from "./scene";

/**
 * The peer: what a Node team would build instead of this library, on Chatwoot's own design and
 * BullMQ, as BullMQ's documentation shows it.
 *
 * - The host's route commits its transaction, then adds one job for the event (Chatwoot's
 *   `after_commit` → `EventDispatcherJob`): {@link Peer.enqueue}, awaited in the request.
 * - An event job builds the payload once, with the library's own builder (`buildBodies`) from the
 *   same entities, reads the account's webhooks (Chatwoot's `WebhookListener`), and adds one
 *   delivery job per subscribed webhook, body included, in one `addBulk`.
 * - A delivery job signs with the library's signature helpers and POSTs with axios (keep-alive
 *   agent); a non-2xx answer or an error throws, so BullMQ retries it with exponential backoff.
 *
 * Two queues, each with one `Worker`. Delivery concurrency is the library's `concurrency` (64
 * requests in flight); event jobs run up to the DataSource's pool size at once (each holds a
 * connection while it builds). One ioredis connection is shared by the queues and workers (BullMQ
 * duplicates it for each worker's blocking reads), `maxRetriesPerRequest: null` as BullMQ requires;
 * completed jobs are removed, failed ones kept (up to 5,000), as BullMQ's production guide advises.
 * It is not transactional: a crash between commit and `add` loses the event.
 */
export interface Peer {
  /** The host's side, after its save committed: one job for the event. */
  enqueue(event: PeerEvent): Promise<void>;
  /** Start both workers (they are created stopped, connected and ready). */
  start(): void;
  /** Jobs not finished yet (waiting, delayed, prioritized or active) in both queues. */
  unfinished(): Promise<number>;
  /** Jobs that failed for good, and attempts that failed. */
  failures(): { failedAttempts: number };
  /** Remove waiting jobs without running them (between timed rounds). */
  discard(): Promise<void>;
  /** Close the workers (letting active jobs finish), delete every key of this peer, close connections. */
  close(): Promise<void>;
}

/** What the host's route knows after its commit. */
export interface PeerEvent {
  event: OutboxEventName;
  accountId: number;
  inboxId: number | null;
  subjectType: OutboxSubjectType;
  subjectId: number;
}

interface DeliveryJob {
  url: string;
  secret: string;
  body: string;
  deliveryId: string;
}

export interface PeerSettings {
  dataSource: DataSource;
  /** Delivery worker concurrency: the library's `concurrency`. */
  concurrency: number;
  /** Event worker concurrency. */
  eventConcurrency: number;
  /** Per-request timeout: the library's `timeoutMs`. */
  timeoutMs: number;
  /** Attempts per delivery (the library's schedule length + 1). */
  attempts: number;
}

/**
 * The peer sized like the library on `dataSource`: delivery concurrency, timeout and number of
 * attempts from the library's defaults (`resolveOptions`), event concurrency the pool size.
 */
export function peerSettings(dataSource: DataSource): PeerSettings {
  const options = resolveOptions({ dataSource });
  const poolSize = (dataSource.options as { poolSize?: number }).poolSize ?? 10;
  return { dataSource, concurrency: options.concurrency, eventConcurrency: poolSize, timeoutMs: options.timeoutMs, attempts: options.retrySchedule.length + 1 };
}

/**
 * The peer's host route: the same save as the library's host (`saveMessage`), then, after the
 * commit, one job for its `message_created`. `onCommit` runs between the two.
 */
export async function savePeerMessage(peer: Peer, dataSource: DataSource, scene: Scene, index: number, content: string, onCommit?: () => void): Promise<void> {
  const message = await saveMessage(dataSource, scene, index, content);
  onCommit?.();
  await peer.enqueue({ event: "message_created", accountId: message.accountId, inboxId: message.inboxId, subjectType: "Message", subjectId: message.id });
}

/** Where the peer's Redis is: `REDIS_URL`, default the machine's own. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
}

/** The part of an ioredis client the bench uses itself (BullMQ uses the rest). */
interface RedisClient extends RedisConnectionClient {
  quit(): Promise<string>;
  scan(cursor: string, ...args: Array<string | number>): Promise<[string, string[]]>;
  del(...keys: string[]): Promise<number>;
}

/**
 * ioredis, the client BullMQ's documentation uses throughout. BullMQ 6 lists it as an optional
 * peer dependency, so it is loaded here, with a sentence saying what to do when it is missing.
 */
function loadIORedis(): new (url: string, options: { maxRetriesPerRequest: null; lazyConnect?: boolean }) => RedisClient {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require("ioredis") as { default?: unknown };
    return (loaded.default ?? loaded) as new (url: string, options: { maxRetriesPerRequest: null }) => RedisClient;
  } catch {
    throw new Error("the peer needs the ioredis package (BullMQ 6 no longer installs it): npm install --save-dev ioredis");
  }
}

/** Key prefixes of peers not closed yet (their keys are deleted by {@link dropPeerKeysSync} after a crash). */
const live = new Set<string>();

export async function createPeer(settings: PeerSettings): Promise<Peer> {
  await pingRedis(redisUrl(), 3000);
  const IORedis = loadIORedis();
  const prefix = `bench-peer-${randomBytes(4).toString("hex")}`;
  const connection = new IORedis(redisUrl(), { maxRetriesPerRequest: null });
  live.add(prefix);
  const shared = { connection: connection as ConnectionOptions, prefix };
  const defaultJobOptions = { removeOnComplete: true, removeOnFail: { count: 5000 } };
  const events = new Queue<PeerEvent>("webhook-events", { ...shared, defaultJobOptions });
  const deliveries = new Queue<DeliveryJob>("webhook-deliveries", {
    ...shared,
    defaultJobOptions: { ...defaultJobOptions, attempts: settings.attempts, backoff: { type: "exponential", delay: 5000 } },
  });

  const agent = new Agent({ keepAlive: true, maxSockets: settings.concurrency });
  const http = axios.create({ httpAgent: agent, timeout: settings.timeoutMs, maxRedirects: 0, proxy: false });
  const { dataSource } = settings;

  const eventWorker = new Worker<PeerEvent>(
    "webhook-events",
    async (job: Job<PeerEvent>) => {
      const event: OutboxEvent = { ...job.data, id: job.id ?? randomUUID(), data: null, createdAt: new Date(job.timestamp) };
      const body = (await buildBodies(dataSource.manager, [event])).get(event.id);
      if (body == null) return;
      const webhooks = await dataSource.getRepository(Webhook).find({ where: { accountId: event.accountId, webhookType: 0, enabled: true } });
      const targets = webhooks.filter((webhook) => webhook.subscriptions.includes(event.event) && (webhook.inboxId == null || webhook.inboxId === event.inboxId));
      if (targets.length === 0) return;
      await deliveries.addBulk(targets.map((webhook) => ({ name: event.event, data: { url: webhook.url, secret: webhook.secret, body, deliveryId: randomUUID() } })));
    },
    { ...shared, concurrency: settings.eventConcurrency, autorun: false },
  );
  const deliveryWorker = new Worker<DeliveryJob>(
    "webhook-deliveries",
    async (job: Job<DeliveryJob>) => {
      const { url, secret, body, deliveryId } = job.data;
      const headers = signatureHeaders({ secret, deliveryId, timestamp: Math.floor(Date.now() / 1000), body, userAgent: USER_AGENT });
      await http.post(url, body, { headers });
    },
    { ...shared, concurrency: settings.concurrency, autorun: false },
  );

  let failedAttempts = 0;
  for (const worker of [eventWorker, deliveryWorker] as Worker[]) {
    worker.on("failed", (job: Job | undefined, error: Error) => {
      failedAttempts += 1;
      if (failedAttempts <= 3) console.error(`[peer] ${worker.name} job ${job?.id ?? "?"} failed: ${error.message}`);
    });
    worker.on("error", (error: Error) => console.error(`[peer] ${worker.name}: ${error.message}`));
  }
  const running: Array<Promise<void>> = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      await Promise.all([eventWorker.close(), deliveryWorker.close()]);
      await Promise.all(running);
      for (const queue of [events, deliveries] as Queue[]) {
        await queue.obliterate({ force: true });
        await queue.close();
      }
      await deleteKeys(connection, prefix);
      live.delete(prefix);
    } finally {
      agent.destroy();
      await connection.quit().catch(() => connection.disconnect?.());
    }
  };
  try {
    await Promise.all([events.waitUntilReady(), deliveries.waitUntilReady(), eventWorker.waitUntilReady(), deliveryWorker.waitUntilReady()]);
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }

  return {
    async enqueue(event) {
      await events.add(event.event, event);
    },
    start() {
      for (const worker of [eventWorker, deliveryWorker] as Worker[]) {
        running.push(worker.run().catch((error: Error) => console.error(`[peer] ${worker.name} stopped: ${error.message}`)));
      }
    },
    async unfinished() {
      let total = 0;
      for (const queue of [events, deliveries] as Queue[]) {
        const counts = await queue.getJobCounts("waiting", "delayed", "prioritized", "active", "waiting-children");
        total += Object.values(counts).reduce((sum, n) => sum + n, 0);
      }
      return total;
    },
    failures: () => ({ failedAttempts }),
    async discard() {
      await events.drain(true);
      await deliveries.drain(true);
    },
    close,
  };
}

/**
 * Fail in a sentence, and at once, when Redis does not answer: BullMQ's connections would wait
 * for it without end (`maxRetriesPerRequest: null`).
 */
function pingRedis(url: string, timeoutMs: number): Promise<void> {
  const { hostname, port } = new URL(url);
  const where = `${hostname || "127.0.0.1"}:${port || 6379}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, "") || "127.0.0.1", port: Number(port || 6379) });
    let answer = "";
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(`the peer needs Redis at ${where} (REDIS_URL), which ${why}; start it as .ci/run does`));
    };
    socket.setTimeout(timeoutMs, () => fail(`did not answer within ${timeoutMs} ms`));
    socket.once("error", (error: Error) => fail(`cannot be reached (${error.message})`));
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString("utf8");
      if (!answer.includes("\r\n")) return;
      socket.destroy();
      // A server that wants a password answers -NOAUTH: it is there, and ioredis will log in.
      if (answer.startsWith("+PONG") || answer.startsWith("-NOAUTH")) resolve();
      else reject(new Error(`the peer needs Redis at ${where} (REDIS_URL), which answered PING with ${JSON.stringify(answer.trim())}`));
    });
    socket.once("connect", () => socket.write("PING\r\n"));
  });
}

/** Delete every key under `prefix:` (what obliterate leaves, if anything). */
async function deleteKeys(connection: RedisClient, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await connection.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    if (keys.length > 0) await connection.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

/**
 * Delete the keys of peers this process did not close, with `redis-cli` (at most 15 s): used on
 * the way out after a crash, when this process's own connections cannot be trusted.
 */
export function dropPeerKeysSync(): void {
  const url = redisUrl();
  for (const prefix of live) {
    const script = `redis-cli -u "$URL" --scan --pattern "$PREFIX:*" | xargs -r -n 500 redis-cli -u "$URL" del >/dev/null`;
    spawnSync("sh", ["-c", script], { env: { ...process.env, URL: url, PREFIX: prefix }, timeout: 15_000, stdio: "ignore" });
  }
  live.clear();
}
