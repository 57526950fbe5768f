import { createWebhooks } from "../src";
import { absoluteNow, delay } from "./clock";
import type { BenchConfig } from "./config";
import { createBenchDatabase } from "./database";
import { benchLogger, log } from "./progress";
import type { ReceiverProcess } from "./receiver-client";
import { saveMessage, seedScene } from "./scene";
import { percentile, round } from "./stats";

export interface FairnessResult {
  /** Commit → arrival p99 at a healthy endpoint while eight endpoints of its account never answer. */
  hangingP99: number;
  /** The same for another account's endpoint while one account's backlog drains. */
  backlogP99: number;
  details: Record<string, number>;
}

const SCOPE = "fairness";

/**
 * Tenants under the library's default options, dispatcher in the host's process:
 * 1. eight webhooks that never answer (`/hang`, ended by the 5 s timeout) and one healthy webhook,
 *    all in one account; messages saved at a steady rate; the healthy webhook's delays.
 * 2. one account with a backlog of due deliveries (`backlogDeliveries`, over 100 webhooks whose
 *    receiver answers in 100 ms), draining while another account saves messages at a steady
 *    rate; that account's delays.
 * Every delay is the receiver's arrival time less the save's commit time (one clock).
 */
export async function measureFairness(config: BenchConfig, receiver: ReceiverProcess): Promise<FairnessResult> {
  const hanging = await withHangingEndpoints(config, receiver);
  const backlog = await besideABacklog(config, receiver);
  return {
    hangingP99: hanging.p99,
    backlogP99: backlog.p99,
    details: {
      fairness_hanging_p50_ms: round(hanging.p50, 2),
      fairness_hanging_max_ms: round(hanging.max, 2),
      fairness_hanging_samples: hanging.samples,
      fairness_backlog_p50_ms: round(backlog.p50, 2),
      fairness_backlog_max_ms: round(backlog.max, 2),
      fairness_backlog_samples: backlog.samples,
      fairness_backlog_deliveries: config.fairness.backlogDeliveries,
      fairness_backlog_left_at_end: backlog.left,
    },
  };
}

interface Delays {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  left: number;
}

async function withHangingEndpoints(config: BenchConfig, receiver: ReceiverProcess): Promise<Delays> {
  const db = await createBenchDatabase("fairness_hanging");
  try {
    const { dataSource } = db;
    const urls = [...Array.from({ length: 8 }, (_, i) => `${receiver.url}/hang/fair-${i}`), `${receiver.url}/fair/healthy`];
    const scene = await seedScene(dataSource, { conversations: 20, webhookUrls: urls });
    const webhooks = createWebhooks({ dataSource, allowPrivateNetwork: true, logger: benchLogger(SCOPE) });
    await webhooks.dispatcher.start();
    try {
      await receiver.reset();
      log(SCOPE, `8 hanging endpoints and 1 healthy, one account: ${config.fairness.messages} messages at ${config.fairness.messagesPerSecond}/s`);
      return await paced(config, receiver, "/fair/healthy", (i, content) => saveMessage(dataSource, scene, i, content).then(() => undefined), async () => 0);
    } finally {
      await webhooks.dispatcher.stop(100);
      await webhooks.close();
      await receiver.reset();
    }
  } finally {
    await db.drop();
  }
}

async function besideABacklog(config: BenchConfig, receiver: ReceiverProcess): Promise<Delays> {
  const db = await createBenchDatabase("fairness_backlog");
  try {
    const { dataSource } = db;
    const busy = await seedScene(dataSource, { conversations: 1, webhookUrls: Array.from({ length: 100 }, (_, i) => `${receiver.url}/slow/100/busy/${i}`) });
    const events = Math.ceil(config.fairness.backlogDeliveries / 100);
    log(SCOPE, `a backlog of ${events * 100} due deliveries in one account`);
    await dataSource.query(
      `WITH e AS (
         INSERT INTO webhook_events (account_id, event, subject_type, subject_id, body, fanned_out_at)
         SELECT $1, 'message_created', 'Message', g, '{"event":"message_created","content":null}', now() FROM generate_series(1, $2::int) g RETURNING id
       )
       INSERT INTO webhook_deliveries (id, event_id, webhook_id, account_id, event, status, next_attempt_at)
       SELECT gen_random_uuid(), e.id, w, $1, 'message_created', 'pending', now() - interval '1 minute' FROM e, unnest($3::int[]) w`,
      [busy.accountId, events, busy.webhookIds],
    );
    await dataSource.query("ANALYZE");
    const quiet = await seedScene(dataSource, { conversations: 20, webhookUrls: [`${receiver.url}/fair/quiet`] });
    const webhooks = createWebhooks({ dataSource, allowPrivateNetwork: true, logger: benchLogger(SCOPE) });
    await webhooks.dispatcher.start();
    try {
      await receiver.reset();
      // Let the backlog take the dispatcher first.
      await delay(1000);
      const left = async () =>
        ((await dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE account_id = $1 AND status = 'pending'`, [busy.accountId])) as Array<{ n: number }>)[0].n;
      log(SCOPE, `another account: ${config.fairness.messages} messages at ${config.fairness.messagesPerSecond}/s while it drains`);
      return await paced(config, receiver, "/fair/quiet", (i, content) => saveMessage(dataSource, quiet, i, content).then(() => undefined), left);
    } finally {
      await webhooks.dispatcher.stop(100);
      await webhooks.close();
      await receiver.reset();
    }
  } finally {
    await db.drop();
  }
}

/** Save `messages` at the configured rate, wait for their arrivals under `path`, and return the delays. */
async function paced(config: BenchConfig, receiver: ReceiverProcess, path: string, save: (i: number, content: string) => Promise<void>, left: () => Promise<number>): Promise<Delays> {
  const { messages, messagesPerSecond } = config.fairness;
  await receiver.track(true);
  const commits = new Map<string, number>();
  const started = performance.now();
  const saves: Array<Promise<void>> = [];
  for (let i = 0; i < messages; i += 1) {
    const wait = started + (i * 1000) / messagesPerSecond - performance.now();
    if (wait > 0) await delay(wait);
    const content = `fair-${path}-${i}`;
    saves.push(save(i, content).then(() => void commits.set(content, absoluteNow())));
  }
  await Promise.all(saves);
  // The endpoint also gets the other events a message causes (conversation_updated...): wait for the messages themselves.
  const deadline = performance.now() + 30_000;
  let samples: number[] = [];
  while (samples.length < messages && performance.now() < deadline) {
    await delay(100);
    samples = [];
    for (const [arrivalPath, content, at] of await receiver.arrivals()) {
      const committed = arrivalPath.startsWith(path) && content !== null ? commits.get(content) : undefined;
      if (committed !== undefined) samples.push(at - committed);
    }
  }
  const remaining = await left();
  await receiver.track(false);
  if (samples.length < messages) throw new Error(`only ${samples.length} of ${messages} messages arrived under ${path} within 30 s`);
  const result = { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), max: Math.max(...samples), samples: samples.length, left: remaining };
  log(SCOPE, `${path}: p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, max ${result.max.toFixed(1)} ms${remaining ? `, ${remaining} backlog deliveries still pending` : ""}`);
  return result;
}
