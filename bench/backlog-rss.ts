import { fork } from "node:child_process";
import path from "node:path";
import type { BenchConfig } from "./config";
import { countUnder } from "./counts";
import { createBenchDatabase } from "./database";
import type { DispatcherChildMessage } from "./dispatcher-child";
import { every, log } from "./progress";
import type { ReceiverProcess } from "./receiver-client";
import { insertBacklog, seedScene } from "./scene";
import { round } from "./stats";

export interface BacklogRssResult {
  peakRssMb: number;
  details: Record<string, number>;
}

const SCOPE = "backlog-rss";
const MB = 1024 * 1024;

/**
 * Peak resident memory of a dispatcher process (default options) draining a large backlog:
 * messages and their outbox events written with SQL, fanned out and sent by the dispatcher in
 * its own process, which samples its RSS every 100 ms and reports the kernel's peak at the end.
 */
export async function measureBacklogRss(config: BenchConfig, receiver: ReceiverProcess): Promise<BacklogRssResult> {
  const settings = config.backlogRss;
  const total = settings.messages * settings.webhooks;
  const db = await createBenchDatabase("backlog_rss");
  try {
    const { dataSource } = db;
    const urls = Array.from({ length: settings.webhooks }, (_, i) => `${receiver.url}/rss/${i}`);
    const conversations = Math.max(1, Math.round(settings.messages / config.messagesPerConversation));
    const scene = await seedScene(dataSource, { conversations, webhookUrls: urls });
    await insertBacklog(dataSource, scene, settings.messages, "rss");
    log(SCOPE, `backlog of ${settings.messages} messages × ${settings.webhooks} webhooks = ${total} deliveries; starting the dispatcher process`);
    await receiver.reset();

    const child = fork(path.join(__dirname, "dispatcher-child.js"), [db.url], { execArgv: process.env.BENCH_CHILD_EXEC_ARGV?.split(" ").filter(Boolean) ?? [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let sampledPeak = 0;
    let readyRss = 0;
    let stopped: { errors: number; maxRss: number } | null = null;
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const ready = new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`the dispatcher process exited early (code ${code})`)));
      child.on("message", (message: DispatcherChildMessage) => {
        if (message.type === "rss") sampledPeak = Math.max(sampledPeak, message.rss);
        else if (message.type === "ready") {
          readyRss = message.rss;
          resolve();
        } else if (message.type === "stopped") stopped = message;
      });
    });
    const started = performance.now();
    try {
      await ready;
      const stopProgress = every(2000, async () => {
        log(SCOPE, `${countUnder(await receiver.counts(), "/rss/")}/${total} deliveries answered, RSS peak so far ${(sampledPeak / MB).toFixed(0)} MB`);
      });
      try {
        await receiver.waitFor("/rss/", total, settings.timeoutMs);
      } catch (error) {
        throw new Error(`${(error as Error).message}; RSS peak until then ${(sampledPeak / MB).toFixed(1)} MB (not a full drain, so not reported)`);
      } finally {
        stopProgress();
      }
    } finally {
      child.send({ cmd: "stop" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    const drainMs = performance.now() - started;
    const result = stopped as { errors: number; maxRss: number } | null;
    const peak = Math.max(sampledPeak, result?.maxRss ?? 0);
    log(SCOPE, `drained ${total} deliveries in ${(drainMs / 1000).toFixed(1)} s; peak RSS ${(peak / MB).toFixed(1)} MB (sampled peak ${(sampledPeak / MB).toFixed(1)} MB, at start ${(readyRss / MB).toFixed(1)} MB)`);
    return {
      peakRssMb: peak / MB,
      details: {
        backlog_deliveries: total,
        backlog_drain_ms: round(drainMs, 0),
        backlog_rss_at_start_mb: round(readyRss / MB, 1),
        backlog_sampled_peak_rss_mb: round(sampledPeak / MB, 1),
        backlog_library_errors: result?.errors ?? -1,
      },
    };
  } finally {
    await db.drop();
  }
}
