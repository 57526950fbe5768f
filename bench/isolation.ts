import { createWebhooks } from "../src";
import { delay } from "./clock";
import type { BenchConfig } from "./config";
import { countUnder } from "./counts";
import { createBenchDatabase } from "./database";
import { benchLogger, log } from "./progress";
import { startReceiverProcess, type ReceiverProcess } from "./receiver-client";
import { insertBacklog, seedScene } from "./scene";
import { round } from "./stats";

export interface IsolationResult {
  ratio: number;
  details: Record<string, number>;
}

const SCOPE = "isolation";

/**
 * Throughput to healthy endpoints while one endpoint never answers, against the same with all
 * healthy. One account, 5 webhooks, a backlog big enough to keep every webhook busy for the whole
 * window; deliveries/s to webhooks 1-4 counted by the receiver over a fixed window after a short
 * warm-up. In the second run webhook 5 points at a path the receiver never answers, so its
 * attempts end by the dispatcher's timeout (5 s, the library's default) and are retried.
 *
 * All five URLs are on the receiver's one host and port, as when several webhooks of an account
 * point at one service: that is the figure. A third run, reported as a detail, puts the hanging
 * URL on a second receiver process (another port), which tells a shared connection pool apart
 * from the dispatcher's own scheduling as the cause of any slowdown.
 */
export async function measureIsolation(config: BenchConfig, receiver: ReceiverProcess): Promise<IsolationResult> {
  const allHealthy = await healthyRate(config, receiver, "none");
  const oneHanging = await healthyRate(config, receiver, "same-host");
  const elsewhere = await startReceiverProcess();
  let otherHost: Awaited<ReturnType<typeof healthyRate>>;
  try {
    otherHost = await healthyRate(config, receiver, "other-host", elsewhere);
  } finally {
    await elsewhere.close();
  }
  return {
    ratio: oneHanging.rate / allHealthy.rate,
    details: {
      isolation_healthy_per_s_all_healthy: round(allHealthy.rate, 1),
      isolation_healthy_per_s_one_hanging: round(oneHanging.rate, 1),
      isolation_ratio_hanging_on_other_host: round(otherHost.rate / allHealthy.rate, 3),
      isolation_fifth_per_s_all_healthy: round(allHealthy.fifthRate, 1),
      isolation_hanging_requests_seen: oneHanging.fifthSeen,
      isolation_window_ms: config.isolation.windowMs,
      isolation_timeout_ms: config.isolation.timeoutMs,
    },
  };
}

type Hanging = "none" | "same-host" | "other-host";

async function healthyRate(config: BenchConfig, receiver: ReceiverProcess, hanging: Hanging, elsewhere?: ReceiverProcess): Promise<{ rate: number; fifthRate: number; fifthSeen: number }> {
  const settings = config.isolation;
  const hang = hanging !== "none";
  const label = { none: "all healthy", "same-host": "one hanging", "other-host": "one hanging on another port" }[hanging];
  const fifthReceiver = hanging === "other-host" && elsewhere ? elsewhere : receiver;
  const db = await createBenchDatabase(`isolation_${hanging.replace("-", "_")}`);
  try {
    const { dataSource } = db;
    const urls = Array.from({ length: settings.webhooks }, (_, i) => (hang && i === settings.webhooks - 1 ? `${fifthReceiver.url}/hang/${i}` : `${receiver.url}/ok/${i}`));
    const healthy = urls.slice(0, settings.webhooks - 1).map((url) => new URL(url).pathname);
    const fifth = new URL(urls[settings.webhooks - 1]).pathname;
    const conversations = Math.max(1, Math.round(settings.messages / config.messagesPerConversation));
    const scene = await seedScene(dataSource, { conversations, webhookUrls: urls });
    await insertBacklog(dataSource, scene, settings.messages, "iso");
    log(SCOPE, `${label}: backlog of ${settings.messages} messages × ${settings.webhooks} webhooks`);

    await receiver.reset();
    const logger = benchLogger(SCOPE);
    const webhooks = createWebhooks({ dataSource, allowPrivateNetwork: true, logger, timeoutMs: settings.timeoutMs });
    await webhooks.dispatcher.start();
    try {
      await delay(settings.warmupMs);
      const first = await receiver.counts();
      const started = performance.now();
      const seconds = Math.ceil(settings.windowMs / 1000);
      for (let s = 1; s <= seconds; s += 1) {
        await delay(Math.min(1000, settings.windowMs - (s - 1) * 1000));
        const counts = await receiver.counts();
        log(SCOPE, `${label}: ${s}/${seconds} s, healthy ${sumOf(counts, healthy) - sumOf(first, healthy)}`);
      }
      const last = await receiver.counts();
      const fifthCounts = await fifthReceiver.counts();
      const elapsed = (performance.now() - started) / 1000;
      const rate = (sumOf(last, healthy) - sumOf(first, healthy)) / elapsed;
      const fifthRate = fifthReceiver === receiver ? (countUnder(last, fifth) - countUnder(first, fifth)) / elapsed : 0;
      const [{ left }] = (await dataSource.query(
        `SELECT (SELECT count(*) FROM webhook_events WHERE fanned_out_at IS NULL)::int
              + (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending' AND webhook_id = ANY($1::int[]))::int AS left`,
        [scene.webhookIds.slice(0, settings.webhooks - 1)],
      )) as Array<{ left: number }>;
      if (left === 0) log(SCOPE, `${label}: WARNING the healthy backlog ran out inside the window; the rate is a lower bound`);
      log(SCOPE, `${label}: ${rate.toFixed(0)} deliveries/s to the 4 healthy webhooks`);
      return { rate, fifthRate, fifthSeen: countUnder(fifthCounts, fifth) };
    } finally {
      // Attempts to the hanging path end at their timeout (or stop()'s own limit): stop without waiting for them.
      await webhooks.dispatcher.stop(hang ? 100 : 10_000);
      await webhooks.close();
      await receiver.reset();
      await fifthReceiver.reset();
    }
  } finally {
    await db.drop();
  }
}

function sumOf(counts: Record<string, number>, paths: string[]): number {
  return paths.reduce((total, path) => total + countUnder(counts, path), 0);
}
