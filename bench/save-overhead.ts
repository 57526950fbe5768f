import { createWebhooks, type Webhooks } from "../src";
import type { BenchConfig } from "./config";
import { createBenchDatabase } from "./database";
import { waitUntilDrained } from "./drain";
import { benchLogger, log } from "./progress";
import type { ReceiverProcess } from "./receiver-client";
import { saveMessage, seedScene } from "./scene";
import { median, round } from "./stats";

export interface SaveOverheadResult {
  /** Median save with the library (dispatcher off) ÷ median save without it. */
  ratio: number;
  /** The same, with the dispatcher running (and sending) during the "with" saves. */
  ratioDispatcherOn: number;
  details: Record<string, number>;
}

const SCOPE = "save-overhead";

/**
 * The cost the library adds to the host's write path: the host's message save (its route's
 * transaction) timed one by one, on one DataSource, with the library attached (`createWebhooks`)
 * and detached (`close()`), in interleaved rounds whose order alternates. The account has
 * 3 subscribed webhooks.
 *
 * Main figure: dispatcher off during the "with" saves, because on 2 cores a running dispatcher
 * competes with the saves for CPU, which is not a cost of the write path; the events the saves
 * record are drained between rounds (untimed) so the outbox does not grow without end. The
 * second figure has the dispatcher running, as in a host that sends from the same process.
 */
export async function measureSaveOverhead(config: BenchConfig, receiver: ReceiverProcess): Promise<SaveOverheadResult> {
  const settings = config.saveOverhead;
  const db = await createBenchDatabase("save_overhead");
  try {
    const { dataSource } = db;
    const urls = Array.from({ length: settings.webhooks }, (_, i) => `${receiver.url}/save/${i}`);
    const scene = await seedScene(dataSource, { conversations: settings.conversations, webhookUrls: urls });
    const logger = benchLogger(SCOPE);
    const attach = (): Webhooks => createWebhooks({ dataSource, allowPrivateNetwork: true, logger });

    let counter = 0;
    const saves = async (count: number, samples?: number[]) => {
      for (let i = 0; i < count; i += 1) {
        const started = performance.now();
        await saveMessage(dataSource, scene, counter, `save-${counter}`);
        samples?.push(performance.now() - started);
        counter += 1;
      }
    };
    const drain = async () => {
      const drainer = attach();
      await drainer.dispatcher.start();
      await waitUntilDrained(drainer, 60_000, SCOPE);
      await drainer.close();
    };

    log(SCOPE, `warming up (${settings.warmupSaves} saves of each kind)`);
    await saves(settings.warmupSaves);
    const warm = attach();
    await saves(settings.warmupSaves);
    await warm.close();
    await drain();

    const rounds = async (count: number, dispatcherOn: boolean) => {
      const without: number[] = [];
      const withLibrary: number[] = [];
      for (let round = 0; round < count; round += 1) {
        const order = round % 2 === 0 ? (["without", "with"] as const) : (["with", "without"] as const);
        for (const condition of order) {
          if (condition === "without") {
            await saves(settings.savesPerRound, without);
            continue;
          }
          const webhooks = attach();
          if (dispatcherOn) await webhooks.dispatcher.start();
          await saves(settings.savesPerRound, withLibrary);
          await webhooks.close();
          await drain();
        }
        const label = dispatcherOn ? "dispatcher on" : "dispatcher off";
        log(SCOPE, `${label}: round ${round + 1}/${count}, median so far ${median(without).toFixed(3)} ms without, ${median(withLibrary).toFixed(3)} ms with`);
      }
      return { without: median(without), with: median(withLibrary) };
    };

    const off = await rounds(settings.rounds, false);
    const on = await rounds(settings.roundsDispatcherOn, true);
    return {
      ratio: off.with / off.without,
      ratioDispatcherOn: on.with / on.without,
      details: {
        save_median_ms_without: round(off.without, 3),
        save_median_ms_with: round(off.with, 3),
        save_median_ms_without_dispatcher_on_run: round(on.without, 3),
        save_median_ms_with_dispatcher_on: round(on.with, 3),
        save_samples_per_condition: settings.rounds * settings.savesPerRound,
        save_webhooks: settings.webhooks,
        save_library_errors: logger.errors(),
      },
    };
  } finally {
    await db.drop();
  }
}
