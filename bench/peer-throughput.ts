import { absoluteNow, delay } from "./clock";
import type { BenchConfig } from "./config";
import { countUnder } from "./counts";
import { createBenchDatabase } from "./database";
import { createPeer, peerSettings, savePeerMessage } from "./peer";
import { every, log } from "./progress";
import type { ReceiverProcess } from "./receiver-client";
import { seedScene } from "./scene";
import { round } from "./stats";

export interface PeerThroughputResult {
  throughputPerSecond: number;
  details: Record<string, number>;
}

const SCOPE = "throughput:peer";

/**
 * The peer draining the same backlog as `measureThroughput`: the same number of host saves (same
 * writers, same scene shape, its own database), each followed by its event job, with the workers
 * stopped; then the workers are started and timed until the receiver has answered every
 * delivery. Includes building each payload and adding the delivery jobs, as the library's drain
 * includes fan-out.
 */
export async function measurePeerThroughput(config: BenchConfig, receiver: ReceiverProcess): Promise<PeerThroughputResult> {
  const settings = config.throughput;
  const total = settings.messages * settings.webhooks;
  const db = await createBenchDatabase("peer_throughput", { messageCapture: false });
  try {
    const { dataSource } = db;
    const urls = Array.from({ length: settings.webhooks }, (_, i) => `${receiver.url}/peer/tp/${i}`);
    const conversations = Math.max(1, Math.round(settings.messages / config.messagesPerConversation));
    const scene = await seedScene(dataSource, { conversations, webhookUrls: urls });
    const peer = await createPeer(peerSettings(dataSource));
    try {
      log(SCOPE, `writing ${settings.messages} messages through the peer's host saves (${settings.writers} at a time), workers stopped`);
      let next = 0;
      const writer = async () => {
        for (let i = next++; i < settings.messages; i = next++) await savePeerMessage(peer, dataSource, scene, i, `peer-tp-${i}`);
      };
      const writeStarted = performance.now();
      await Promise.all(Array.from({ length: settings.writers }, writer));
      const writeMs = performance.now() - writeStarted;
      const queued = await peer.unfinished();
      if (queued !== settings.messages) throw new Error(`expected ${settings.messages} queued event jobs, found ${queued}`);
      log(SCOPE, `backlog committed in ${(writeMs / 1000).toFixed(1)} s: ${queued} event jobs → ${total} deliveries`);

      await receiver.reset();
      const started = absoluteNow();
      peer.start();
      const stopProgress = every(1000, async () => {
        log(SCOPE, `${countUnder(await receiver.counts(), "/peer/tp/")}/${total} deliveries answered`);
      });
      let answeredAt: number;
      try {
        answeredAt = await receiver.waitFor("/peer/tp/", total, settings.timeoutMs);
      } finally {
        stopProgress();
      }
      const drainMs = answeredAt - started;
      const deadline = Date.now() + 60_000;
      while ((await peer.unfinished()) > 0) {
        if (Date.now() > deadline) throw new Error(`${SCOPE}: jobs still unfinished 60 s after every delivery was answered`);
        await delay(20);
      }
      const settledMs = absoluteNow() - started;
      const duplicates = countUnder(await receiver.counts(), "/peer/tp/") - total;
      const throughput = total / (drainMs / 1000);
      log(SCOPE, `${total} deliveries answered in ${(drainMs / 1000).toFixed(2)} s: ${throughput.toFixed(0)}/s (every job finished after ${(settledMs / 1000).toFixed(2)} s)`);
      return {
        throughputPerSecond: throughput,
        details: {
          peer_throughput_drain_ms: round(drainMs, 0),
          peer_throughput_settled_ms: round(settledMs, 0),
          peer_throughput_backlog_write_ms: round(writeMs, 0),
          peer_throughput_duplicates: duplicates,
          peer_throughput_failed_attempts: peer.failures().failedAttempts,
        },
      };
    } finally {
      await peer.close();
    }
  } finally {
    await db.drop();
  }
}
