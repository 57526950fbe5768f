import { Agent } from "node:http";
import axios from "axios";
import { createWebhooks, resolveOptions } from "../src";
import { absoluteNow } from "./clock";
import type { BenchConfig } from "./config";
import { countUnder } from "./counts";
import { createBenchDatabase } from "./database";
import { waitUntilDrained } from "./drain";
import { benchLogger, every, log } from "./progress";
import type { ReceiverProcess } from "./receiver-client";
import { saveMessage, seedScene } from "./scene";
import { startProfile } from "./profile";
import { round } from "./stats";

export interface ThroughputResult {
  throughputPerSecond: number;
  ceilingPerSecond: number;
  details: Record<string, number>;
}

const SCOPE = "throughput";

/**
 * Drain a committed backlog (messages × webhooks deliveries) with the library's default options
 * and time it until the receiver has answered every delivery. The backlog is written by host
 * saves with the library attached and the dispatcher stopped, so the outbox holds events that
 * were never fanned out: the timed drain includes fan-out and payload building, as it would after
 * an outage. Then the ceiling: a plain keep-alive axios loop posting real bodies from that drain
 * to the same receiver with the same total concurrency.
 */
export async function measureThroughput(config: BenchConfig, receiver: ReceiverProcess): Promise<ThroughputResult> {
  const settings = config.throughput;
  const db = await createBenchDatabase("throughput");
  try {
    const { dataSource } = db;
    const urls = Array.from({ length: settings.webhooks }, (_, i) => `${receiver.url}/tp/${i}`);
    const conversations = Math.max(1, Math.round(settings.messages / config.messagesPerConversation));
    const scene = await seedScene(dataSource, { conversations, webhookUrls: urls });
    const logger = benchLogger(SCOPE);
    const webhooks = createWebhooks({ dataSource, allowPrivateNetwork: true, logger });
    const concurrency = resolveOptions({ dataSource }).concurrency;

    log(SCOPE, `writing ${settings.messages} messages through host saves (${settings.writers} at a time), dispatcher stopped`);
    let next = 0;
    const writer = async () => {
      for (let i = next++; i < settings.messages; i = next++) await saveMessage(dataSource, scene, i, `tp-${i}`);
    };
    const writeStarted = performance.now();
    await Promise.all(Array.from({ length: settings.writers }, writer));
    const writeMs = performance.now() - writeStarted;
    const [{ queued }] = (await dataSource.query(`SELECT count(*)::int AS queued FROM webhook_events WHERE fanned_out_at IS NULL`)) as Array<{ queued: number }>;
    // Each message is one event; the side effects of a message add a few (a conversation's first
    // reply sends conversation_updated), and every webhook is subscribed to all of them.
    if (queued < settings.messages) throw new Error(`expected at least ${settings.messages} queued events, found ${queued}`);
    const total = queued * settings.webhooks;
    log(SCOPE, `backlog committed in ${(writeMs / 1000).toFixed(1)} s: ${queued} events → ${total} deliveries after fan-out`);

    await receiver.reset();
    const started = absoluteNow();
    const stopProfile = startProfile("throughput-drain");
    await webhooks.dispatcher.start();
    const stopProgress = every(1000, async () => {
      const counts = await receiver.counts();
      log(SCOPE, `${countUnder(counts, "/tp/")}/${total} deliveries answered`);
    });
    let answeredAt: number;
    try {
      answeredAt = await receiver.waitFor("/tp/", total, settings.timeoutMs);
    } finally {
      stopProgress();
    }
    const drainMs = answeredAt - started;
    await waitUntilDrained(webhooks, 60_000, SCOPE);
    const recordedMs = absoluteNow() - started;
    await stopProfile();
    await webhooks.close();
    const duplicates = countUnder(await receiver.counts(), "/tp/") - total;
    const throughput = total / (drainMs / 1000);
    log(SCOPE, `${total} deliveries answered in ${(drainMs / 1000).toFixed(2)} s: ${throughput.toFixed(0)}/s (all recorded after ${(recordedMs / 1000).toFixed(2)} s)`);

    const bodies = ((await dataSource.query(`SELECT body FROM webhook_events WHERE body IS NOT NULL ORDER BY id LIMIT $1`, [settings.ceilingBodies])) as Array<{ body: string }>).map((row) => row.body);
    const ceiling = await measureCeiling(receiver, bodies, total, concurrency, settings.timeoutMs);
    log(SCOPE, `ceiling: ${ceiling.toFixed(0)}/s (plain axios, ${concurrency} in flight, ${bodies.length} real bodies)`);
    return {
      throughputPerSecond: throughput,
      ceilingPerSecond: ceiling,
      details: {
        throughput_deliveries: total,
        throughput_drain_ms: round(drainMs, 0),
        throughput_recorded_ms: round(recordedMs, 0),
        throughput_backlog_write_ms: round(writeMs, 0),
        throughput_concurrency: concurrency,
        throughput_duplicates: duplicates,
        throughput_library_errors: logger.errors(),
      },
    };
  } finally {
    await db.drop();
  }
}

/** Deliveries per second of a bare keep-alive axios loop: `concurrency` workers, `total` posts. */
async function measureCeiling(receiver: ReceiverProcess, bodies: string[], total: number, concurrency: number, timeoutMs: number): Promise<number> {
  if (bodies.length === 0) throw new Error("no bodies to post: the drain built none");
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const http = axios.create({ httpAgent: agent, proxy: false, timeout: 10_000 });
  const url = `${receiver.url}/ceiling`;
  const deadline = Date.now() + timeoutMs;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < total && Date.now() < deadline; i = next++) {
      await http.post(url, bodies[i % bodies.length], { headers: { "content-type": "application/json" } });
    }
  };
  await receiver.reset();
  const started = absoluteNow();
  try {
    const done = receiver.waitFor("/ceiling", total, timeoutMs);
    await Promise.all(Array.from({ length: concurrency }, worker));
    return total / (((await done) - started) / 1000);
  } finally {
    agent.destroy();
  }
}
