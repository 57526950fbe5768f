import { createWebhooks, type Webhooks } from "../src";
import type { BenchConfig } from "./config";
import { createBenchDatabase, setMessageCapture } from "./database";
import { waitUntilDrained } from "./drain";
import { benchLogger, log } from "./progress";
import type { ReceiverProcess } from "./receiver-client";
import { createPeer, peerSettings, savePeerMessage, type Peer } from "./peer";
import { saveMessage, seedScene } from "./scene";
import { median, round } from "./stats";

export interface SaveOverheadResult {
  /** Median save with the library (dispatcher off) ÷ median save without it. */
  ratio: number;
  /** The same, with the dispatcher running (and sending) during the "with" saves. */
  ratioDispatcherOn: number;
  /** Median save with the library (dispatcher off) ÷ median save-plus-enqueue of the peer; null when the peer could not run. */
  peerRatio: number | null;
  /** Why the peer could not run. */
  peerError: Error | null;
  details: Record<string, number>;
}

const SCOPE = "save-overhead";

/**
 * The cost the library adds to the host's write path: the host's message save (its route's
 * transaction) timed one by one, on one DataSource, with the library attached (`createWebhooks`)
 * and its triggers on `messages` enabled, and detached (`close()`) with those triggers disabled,
 * in interleaved rounds whose order alternates. The triggers are switched before every
 * condition (untimed, no dispatcher running), so each condition starts after the same ALTER
 * TABLE. The account has 3 subscribed webhooks.
 *
 * Main figure: dispatcher off during the "with" saves, because on 2 cores a running dispatcher
 * competes with the saves for CPU, which is not a cost of the write path; the events the saves
 * record are drained between rounds (untimed) so the outbox does not grow without end. The
 * second figure has the dispatcher running, as in a host that sends from the same process.
 *
 * The peer's condition (see `peer.ts`) takes its turn in the main rounds: the same save with the
 * library detached and its triggers disabled, then, after the commit, its event job added to the peer's queue (workers
 * stopped, as the dispatcher is; its jobs are discarded between rounds, untimed). Each round runs
 * the conditions in a rotated order.
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
    /** The conditions without the library do not pay for its triggers. */
    const capture = (enabled: boolean) => setMessageCapture(dataSource, enabled);
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

    let peerError: Error | null = null;
    const peer: Peer | null = await createPeer(peerSettings(dataSource)).catch((error: Error) => {
      peerError = error;
      log(SCOPE, `the peer cannot run, measuring without it: ${error.message}`);
      return null;
    });
    const peerSaves = async (count: number, samples: number[]) => {
      if (!peer) return;
      for (let i = 0; i < count; i += 1) {
        const started = performance.now();
        await savePeerMessage(peer, dataSource, scene, counter, `save-${counter}`);
        samples.push(performance.now() - started);
        counter += 1;
      }
      await peer.discard();
    };

    type Condition = "without" | "with" | "peer";
    const rounds = async (count: number, dispatcherOn: boolean) => {
      const without: number[] = [];
      const withLibrary: number[] = [];
      const withPeer: number[] = [];
      const conditions: Condition[] = dispatcherOn || !peer ? ["without", "with"] : ["without", "with", "peer"];
      for (let round = 0; round < count; round += 1) {
        const order = conditions.map((_, i) => conditions[(i + round) % conditions.length]);
        for (const condition of order) {
          await capture(condition === "with");
          if (condition === "without") {
            await saves(settings.savesPerRound, without);
            continue;
          }
          if (condition === "peer") {
            await peerSaves(settings.savesPerRound, withPeer);
            continue;
          }
          const webhooks = attach();
          if (dispatcherOn) await webhooks.dispatcher.start();
          await saves(settings.savesPerRound, withLibrary);
          await webhooks.close();
          await drain();
        }
        const label = dispatcherOn ? "dispatcher on" : "dispatcher off";
        const peerPart = withPeer.length > 0 ? `, ${median(withPeer).toFixed(3)} ms peer save+enqueue` : "";
        log(SCOPE, `${label}: round ${round + 1}/${count}, median so far ${median(without).toFixed(3)} ms without, ${median(withLibrary).toFixed(3)} ms with${peerPart}`);
      }
      return { without: median(without), with: median(withLibrary), peer: withPeer.length > 0 ? median(withPeer) : null };
    };

    let off: Awaited<ReturnType<typeof rounds>>;
    let on: Awaited<ReturnType<typeof rounds>>;
    try {
      log(SCOPE, `warming up (${settings.warmupSaves} saves of each kind)`);
      await capture(false);
      await saves(settings.warmupSaves);
      await capture(true);
      const warm = attach();
      await saves(settings.warmupSaves);
      await warm.close();
      await drain();
      await capture(false);
      await peerSaves(settings.warmupSaves, []);

      off = await rounds(settings.rounds, false);
      on = await rounds(settings.roundsDispatcherOn, true);
    } finally {
      await peer?.close();
    }
    return {
      ratio: off.with / off.without,
      ratioDispatcherOn: on.with / on.without,
      peerRatio: off.peer === null ? null : off.with / off.peer,
      peerError,
      details: {
        ...(off.peer === null ? {} : { save_median_ms_peer_save_and_enqueue: round(off.peer, 3) }),
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
