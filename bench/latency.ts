import type { DataSource } from "typeorm";
import { createWebhooks } from "../src";
import { absoluteNow, delay } from "./clock";
import type { BenchConfig } from "./config";
import { createBenchDatabase } from "./database";
import { benchLogger, log } from "./progress";
import type { ReceiverProcess } from "./receiver-client";
import { createPeer, peerSettings, savePeerMessage } from "./peer";
import { saveMessage, seedScene, type Scene } from "./scene";
import { percentile, round } from "./stats";

export interface LatencyResult {
  p50: number;
  p99: number;
  details: Record<string, number>;
}

/** Saves allowed in flight before the pacer waits (a host serves requests concurrently). */
const MAX_OUTSTANDING = 50;

/** What sends: the library's dispatcher, or the peer's workers. */
type Sender = "library" | "peer";

/** The host side of one latency run: save message `i`, calling `onCommit` as its transaction commits. */
interface LatencyHost {
  save(i: number, content: string, onCommit: () => void): Promise<void>;
  errors(): number;
  close(): Promise<void>;
}

/**
 * Commit → arrival: messages saved at a steady rate by the host's save, the dispatcher running in
 * the same process with default options (LISTEN/NOTIFY on). The commit time is taken as the save
 * resolves; the receiver (another process, same clock) notes when each request arrives and the
 * `content` in its body, which names the message. Every delivery to every webhook is one sample.
 */
export function measureLatency(config: BenchConfig, receiver: ReceiverProcess): Promise<LatencyResult> {
  return measure(config, receiver, "library");
}

/**
 * The same for the peer, workers running in the same process: the commit time is taken as the
 * save's transaction resolves, before its event job is added (the add is part of the peer's way
 * from commit to receiver).
 */
export function measurePeerLatency(config: BenchConfig, receiver: ReceiverProcess): Promise<LatencyResult> {
  return measure(config, receiver, "peer");
}

async function measure(config: BenchConfig, receiver: ReceiverProcess, sender: Sender): Promise<LatencyResult> {
  const settings = config.latency;
  const scope = sender === "library" ? "latency" : "latency:peer";
  const path = sender === "library" ? "/lat/" : "/peer/lat/";
  const tag = sender === "library" ? "lat" : "peer-lat";
  const keyPrefix = sender === "library" ? "latency" : "peer_latency";
  const db = await createBenchDatabase(sender === "library" ? "latency" : "peer_latency", { messageCapture: sender === "library" });
  try {
    const { dataSource } = db;
    const urls = Array.from({ length: settings.webhooks }, (_, i) => `${receiver.url}${path}${i}`);
    const count = Math.round((settings.messagesPerSecond * settings.durationMs) / 1000);
    const conversations = Math.max(1, Math.round(count / config.messagesPerConversation));
    const scene = await seedScene(dataSource, { conversations, webhookUrls: urls });
    const host = await startHost(sender, dataSource, scene, scope);
    try {
      await receiver.reset();
      log(scope, `warming up with ${settings.warmupMessages} messages`);
      await pace(settings.warmupMessages, settings.messagesPerSecond, (i) => host.save(i, `warm-${tag}-${i}`, () => undefined));
      await receiver.waitFor(path, settings.warmupMessages * settings.webhooks, 30_000);

      await receiver.reset();
      await receiver.track(true);
      const commits = new Map<string, number>();
      log(scope, `${settings.messagesPerSecond} messages/s for ${settings.durationMs / 1000} s (${count} messages × ${settings.webhooks} webhooks)`);
      const started = absoluteNow();
      await pace(count, settings.messagesPerSecond, async (i) => {
        const content = `${tag}-${i}`;
        await host.save(i, content, () => commits.set(content, absoluteNow()));
        if ((i + 1) % settings.messagesPerSecond === 0) log(scope, `${i + 1}/${count} messages saved`);
      });
      const paceMs = absoluteNow() - started;
      // The endpoints also get the other events a message causes (a first reply's
      // conversation_updated): wait for the messages themselves.
      const deadline = performance.now() + 30_000;
      let samples: number[] = [];
      while (samples.length < count * settings.webhooks && performance.now() < deadline) {
        await delay(50);
        samples = [];
        for (const [arrivalPath, content, at] of await receiver.arrivals()) {
          const committed = content === null || !arrivalPath.startsWith(path) ? undefined : commits.get(content);
          if (committed !== undefined) samples.push(at - committed);
        }
      }
      await receiver.track(false);
      if (samples.length < count * settings.webhooks) throw new Error(`only ${samples.length} of ${count * settings.webhooks} arrivals matched a commit`);
      const p50 = percentile(samples, 0.5);
      const p99 = percentile(samples, 0.99);
      log(scope, `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms over ${samples.length} deliveries`);
      return {
        p50,
        p99,
        details: {
          [`${keyPrefix}_samples`]: samples.length,
          [`${keyPrefix}_max_ms`]: round(Math.max(...samples), 2),
          [`${keyPrefix}_min_ms`]: round(Math.min(...samples), 2),
          [`${keyPrefix}_achieved_messages_per_s`]: round(count / (paceMs / 1000), 1),
          [sender === "library" ? "latency_library_errors" : "peer_latency_failed_attempts"]: host.errors(),
        },
      };
    } finally {
      await host.close();
    }
  } finally {
    await db.drop();
  }
}

/** The library attached with its dispatcher running, or the peer with its workers running. */
async function startHost(sender: Sender, dataSource: DataSource, scene: Scene, scope: string): Promise<LatencyHost> {
  if (sender === "library") {
    const logger = benchLogger(scope);
    const webhooks = createWebhooks({ dataSource, allowPrivateNetwork: true, logger });
    await webhooks.dispatcher.start();
    return {
      save: async (i, content, onCommit) => {
        await saveMessage(dataSource, scene, i, content);
        onCommit();
      },
      errors: () => logger.errors(),
      close: () => webhooks.close(),
    };
  }
  const peer = await createPeer(peerSettings(dataSource));
  peer.start();
  return {
    save: (i, content, onCommit) => savePeerMessage(peer, dataSource, scene, i, content, onCommit),
    errors: () => peer.failures().failedAttempts,
    close: () => peer.close(),
  };
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
