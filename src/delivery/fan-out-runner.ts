import type { DataSource } from "typeorm";
import { isEmbeddedDriver } from "../embedded/pglite-driver";
import { backoffMs } from "./backoff";
import type { Claims } from "./claims";
import type { FanOut } from "./fan-out";
import type { WorkSignals } from "./loop";
import type { Scheduler } from "./scheduler";

export interface FanOutRunnerSettings {
  fanOut: FanOut;
  scheduler: Scheduler;
  claims: Claims;
  signals: WorkSignals;
  /** Start what the scheduler lets start. */
  pump: () => void;
  /** Fan-outs under way at once (each holds a connection while it runs). */
  concurrency: number;
  batchSize: number;
  /** Rows wait for a claim: let the loop run a pass. */
  wakeLoop: () => void;
  /** A fan-out failed (the database away); the runner waits a growing backoff before the next. */
  onError: (error: Error) => void;
}

export interface FanOutRunner {
  /** Start fan-outs while events may wait and fewer than `concurrency` run; `now` ignores the backoff after a failure (runOnce). */
  kick(now?: boolean): void;
  /** Resolves once no fan-out runs, including those started meanwhile. */
  settled(): Promise<void>;
  /** Events fanned out and deliveries leased by fan-outs since the last call, and the first fan-out error since then, if any. */
  take(): { fannedOut: number; leased: number; error: Error | null };
  /** No new fan-outs from now on (those under way finish). */
  stop(): void;
  /** Fan-outs may start again (after stop). */
  resume(): void;
}

/**
 * Fan-outs, a few at a time: a commit's events start their fan-out at once instead of waiting for
 * the one under way, whose round trips leave the process mostly waiting. Each takes its own batch
 * (`SKIP LOCKED`), as dispatchers in two processes do, so nothing is fanned out twice and ordered
 * webhooks keep their order (a delivery is not leased while an earlier event of its key is still
 * being fanned out). What a fan-out leased starts at once; what it could not lease waits for a
 * claim, which the loop makes.
 */
export function createFanOutRunner(settings: FanOutRunnerSettings): FanOutRunner {
  const { fanOut, scheduler, claims, signals, pump, concurrency, batchSize } = settings;
  const running = new Set<Promise<void>>();
  let stopped = false;
  let failures = 0;
  /** After a failure, no fan-out starts before this (performance.now() milliseconds). */
  let pausedUntil = 0;
  let retry: NodeJS.Timeout | null = null;
  let fannedOut = 0;
  let leased = 0;
  let firstError: Error | null = null;

  const runOne = async (): Promise<void> => {
    try {
      // What fan-out leased starts before its transaction commits (see fan-out.ts).
      const fanned = await fanOut(scheduler.load, (rows) => {
        scheduler.enqueue(rows);
        pump();
      });
      failures = 0;
      fannedOut += fanned.events;
      leased += fanned.leased.length;
      // A full batch: more events may wait.
      if (fanned.events === batchSize) signals.events = true;
      if (fanned.unleased.size > 0) {
        // Rows wait for a claim; those of a webhook with room are worth one at once.
        signals.deliveries = true;
        if ([...fanned.unleased].some((id) => !scheduler.isFull(id))) claims.forget();
        settings.wakeLoop();
      }
    } catch (error) {
      failures += 1;
      signals.events = true;
      pausedUntil = performance.now() + backoffMs(failures);
      firstError ??= error as Error;
      settings.onError(error as Error);
    }
  };

  const kick = (now = false): void => {
    if (now) pausedUntil = 0;
    while (!stopped && signals.events && running.size < concurrency) {
      const wait = pausedUntil - performance.now();
      if (wait > 0) {
        retry ??= setTimeout(() => {
          retry = null;
          kick();
        }, wait);
        return;
      }
      signals.events = false;
      const task: Promise<void> = runOne().finally(() => {
        running.delete(task);
        kick();
      });
      running.add(task);
    }
  };

  return {
    kick,
    async settled() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    take() {
      const taken = { fannedOut, leased, error: firstError };
      fannedOut = 0;
      leased = 0;
      firstError = null;
      return taken;
    },
    stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      retry = null;
    },
    resume() {
      stopped = false;
    },
  };
}

/**
 * Fan-outs one dispatcher runs at once: each holds a connection for its transaction, so a third
 * of the pool at most (claims, results and the host need the rest), 3 with the default pool of
 * 10; one on a single-session database (PGlite).
 */
export function fanOutConcurrency(dataSource: DataSource): number {
  const options = dataSource.options as { poolSize?: number; extra?: { max?: number }; driver?: unknown };
  if (isEmbeddedDriver(options.driver)) return 1;
  const poolSize = Number(options.poolSize ?? options.extra?.max ?? 10);
  return Math.max(1, Math.min(3, Math.floor(poolSize / 3)));
}
