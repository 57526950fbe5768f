import { createWebhooks } from "../src";
import { absoluteNow, delay } from "./clock";
import type { BenchConfig } from "./config";
import { createBenchDatabase } from "./database";
import { benchLogger, log } from "./progress";
import type { ReceiverProcess } from "./receiver-client";
import { saveMessage, seedScene } from "./scene";
import { percentile, round } from "./stats";

export interface LatencyResult {
  p50: number;
  p99: number;
  details: Record<string, number>;
}

const SCOPE = "latency";
/** Saves allowed in flight before the pacer waits (a host serves requests concurrently). */
const MAX_OUTSTANDING = 50;

/**
 * Commit → arrival: messages saved at a steady rate by the host's save, the dispatcher running in
 * the same process with default options (LISTEN/NOTIFY on). The commit time is taken as the save
 * resolves; the receiver (another process, same clock) notes when each request arrives and the
 * `content` in its body, which names the message. Every delivery to every webhook is one sample.
 */
export async function measureLatency(config: BenchConfig, receiver: ReceiverProcess): Promise<LatencyResult> {
  const settings = config.latency;
  const db = await createBenchDatabase("latency");
  try {
    const { dataSource } = db;
    const urls = Array.from({ length: settings.webhooks }, (_, i) => `${receiver.url}/lat/${i}`);
    const count = Math.round((settings.messagesPerSecond * settings.durationMs) / 1000);
    const conversations = Math.max(1, Math.round(count / config.messagesPerConversation));
    const scene = await seedScene(dataSource, { conversations, webhookUrls: urls });
    const logger = benchLogger(SCOPE);
    const webhooks = createWebhooks({ dataSource, allowPrivateNetwork: true, logger });
    await webhooks.dispatcher.start();
    try {
      await receiver.reset();
      log(SCOPE, `warming up with ${settings.warmupMessages} messages`);
      await pace(settings.warmupMessages, settings.messagesPerSecond, (i) => saveMessage(dataSource, scene, i, `warm-${i}`).then(() => undefined));
      await receiver.waitFor("/lat/", settings.warmupMessages * settings.webhooks, 30_000);

      await receiver.reset();
      await receiver.track(true);
      const commits = new Map<string, number>();
      log(SCOPE, `${settings.messagesPerSecond} messages/s for ${settings.durationMs / 1000} s (${count} messages × ${settings.webhooks} webhooks)`);
      const started = absoluteNow();
      await pace(count, settings.messagesPerSecond, async (i) => {
        const content = `lat-${i}`;
        await saveMessage(dataSource, scene, i, content);
        commits.set(content, absoluteNow());
        if ((i + 1) % settings.messagesPerSecond === 0) log(SCOPE, `${i + 1}/${count} messages saved`);
      });
      const paceMs = absoluteNow() - started;
      await receiver.waitFor("/lat/", count * settings.webhooks, 30_000);
      const arrivals = await receiver.arrivals();
      await receiver.track(false);

      const samples: number[] = [];
      for (const [, content, at] of arrivals) {
        const committed = content === null ? undefined : commits.get(content);
        if (committed !== undefined) samples.push(at - committed);
      }
      if (samples.length < count * settings.webhooks) throw new Error(`only ${samples.length} of ${count * settings.webhooks} arrivals matched a commit`);
      const p50 = percentile(samples, 0.5);
      const p99 = percentile(samples, 0.99);
      log(SCOPE, `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms over ${samples.length} deliveries`);
      return {
        p50,
        p99,
        details: {
          latency_samples: samples.length,
          latency_max_ms: round(Math.max(...samples), 2),
          latency_min_ms: round(Math.min(...samples), 2),
          latency_achieved_messages_per_s: round(count / (paceMs / 1000), 1),
          latency_library_errors: logger.errors(),
        },
      };
    } finally {
      await webhooks.close();
    }
  } finally {
    await db.drop();
  }
}

/** Start `task(i)` for i = 0..count-1 on a fixed schedule of `perSecond`; resolves when all are done. */
async function pace(count: number, perSecond: number, task: (i: number) => Promise<void>): Promise<void> {
  const interval = 1000 / perSecond;
  const started = performance.now();
  const outstanding = new Set<Promise<void>>();
  let failure: unknown = null;
  for (let i = 0; i < count && failure === null; i += 1) {
    const wait = started + i * interval - performance.now();
    if (wait > 0) await delay(wait);
    while (outstanding.size >= MAX_OUTSTANDING) await Promise.race(outstanding);
    const running: Promise<void> = task(i)
      .catch((error: unknown) => {
        failure = error;
      })
      .finally(() => outstanding.delete(running));
    outstanding.add(running);
  }
  await Promise.all(outstanding);
  if (failure !== null) throw failure;
}
