import { setMaxListeners } from "node:events";
import type { AttemptRecord, WebhooksContext } from "../context";
import type { AttemptTrigger } from "../types";
import { TooManyRequestsError } from "../errors";
import { createAttempts } from "./attempts";
import type { Dispatcher } from "./dispatcher-types";
import type { ClaimedRow, LeasedDelivery } from "./claimed-row";
import { createClaims } from "./claims";
import { emitSafely } from "./emit-safely";
import { createFanOut } from "./fan-out";
import { createFanOutRunner, fanOutConcurrency } from "./fan-out-runner";
import { createCommitWaker, createLoop, createWaker, type WorkSignals } from "./loop";
import { createNotifier, type Notifier } from "./notifier";
import { createOutcomeRecorder } from "./outcome-recorder";
import { createPass } from "./pass";
import { createPrune } from "./prune";
import { createManualSlots } from "./manual-slots";
import { createScheduler, type Finished } from "./scheduler";
import { worthRecording } from "./worth-recording";
import { STATS } from "./sql/stats";
import { statement, tablesOf } from "../tables";

export type { Dispatcher, DispatcherActivity, DispatcherStats } from "./dispatcher-types";

/** Aborts every attempt in flight at stop(): one listener per attempt, so no listener limit. */
function shutdownController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/**
 * The dispatcher, wired from its parts: the local {@link createScheduler scheduler} (slots,
 * buffer, turns), {@link createFanOut fan-out}, {@link createClaims claims}, one
 * {@link createPass pass} over them, the {@link createLoop loop} that repeats it, the
 * {@link createAttempts attempts} and the {@link createOutcomeRecorder recorder}.
 */
export function createDispatcher(context: WebhooksContext): Dispatcher {
  const { options, events } = context;
  const { dataSource, logger, clock } = options;
  const leaseMs = options.timeoutMs + options.leaseMarginMs;
  const signals: WorkSignals = { events: true, deliveries: true };
  const waker = createWaker();
  const commits = createCommitWaker(waker);
  const scheduler = createScheduler(options);
  const attempts = createAttempts(options, logger);
  const claims = createClaims({ dataSource, logger, clock, leaseMs, pollIntervalMs: options.pollIntervalMs });
  const recorder = createOutcomeRecorder({
    dataSource,
    events,
    logger,
    clock,
    autoDisableAfterMs: options.autoDisableAfterMs,
    // Claims wait while too many results are unwritten; a written batch lets them go on. An
    // ordered delivery that ended lets the next one of its conversation be claimed now.
    onWritten: (written) => {
      if (written.some((attempt) => attempt.orderingKey !== null && attempt.deliveryStatus !== "pending")) {
        signals.deliveries = true;
        claims.forget();
      }
      if (signals.deliveries) waker.wake();
    },
  });
  const notifier: Notifier | null = options.notify ? createNotifier(dataSource, logger) : null;
  /** The attempts in flight, for stop() and runOnce() to wait on. */
  const active = new Set<Promise<void>>();
  let shutdown = shutdownController();

  const attempt = (row: ClaimedRow, trigger: AttemptTrigger) => attempts.attempt(row, trigger, shutdown.signal);

  /** An attempt ended: free its slot (how it went adjusts its webhook's slots), then start what may start. */
  const finished = (row: ClaimedRow, how: Finished | undefined): void => {
    scheduler.finished(row.webhook_id, row.account_id, how);
    pump();
    if (signals.deliveries && scheduler.roomForClaim()) waker.wake();
  };

  /** Run one attempt the scheduler started; its slot frees when the receiver has answered. */
  const launch = (item: LeasedDelivery): void => {
    const { row } = item;
    let how: Finished | undefined;
    const task: Promise<void> = attempt(row, "scheduled")
      .then(async (record) => {
        if (!(await worthRecording(item, record, () => shutdown.signal.aborted, logger, events))) return;
        how = record;
        // The lease covers the row until the batched write lands (stop() waits for it).
        void recorder.record(record);
      })
      .catch((error: Error) => {
        logger.error({ err: error, deliveryId: row.id }, "delivery attempt crashed");
        emitSafely(events, logger, "dispatcher.error", error);
      })
      .finally(() => {
        active.delete(task);
        finished(row, how);
      });
    active.add(task);
  };

  /** Manual attempts waiting for a slot of their webhook: served before buffered deliveries start. */
  const manual = createManualSlots(scheduler, options.timeoutMs);

  /** Start waiting manual attempts, then buffered deliveries, while slots are free; hand back the leases that would run out first. */
  const pump = (): void => {
    manual.serve();
    if (shutdown.signal.aborted) return;
    const { start, stale } = scheduler.next(clock().getTime());
    for (const item of start) launch(item);
    if (stale.length > 0) {
      signals.deliveries = true;
      void claims.release(stale).then(() => claims.forget());
    }
  };

  const reportPassError = (error: Error) => {
    logger.error({ err: error }, "webhook dispatcher pass failed; retrying");
    emitSafely(events, logger, "dispatcher.error", error);
  };
  const fanOuts = createFanOutRunner({
    fanOut: createFanOut({ dataSource, logger, clock, batchSize: options.batchSize, leaseMs, messageSideEffects: options.messageSideEffects }),
    scheduler,
    claims,
    signals,
    pump,
    concurrency: fanOutConcurrency(dataSource),
    batchSize: options.batchSize,
    wakeLoop: () => waker.wake(),
    onError: reportPassError,
  });
  const pass = createPass({
    scheduler,
    fanOuts,
    claims,
    signals,
    prune: createPrune(dataSource, clock, options.retentionMs),
    pump,
    unwritten: () => recorder.size(),
    concurrency: options.concurrency,
  });

  let passStartedAt: Date | null = null;
  let lastPassEndedAt: Date | null = null;
  const loop = createLoop({
    pass: async () => {
      passStartedAt = clock();
      try {
        return (await pass()).more;
      } finally {
        passStartedAt = null;
        lastPassEndedAt = clock();
      }
    },
    signals,
    waker,
    pollIntervalMs: options.pollIntervalMs,
    onPoll: () => claims.forget(),
    onError: reportPassError,
  });

  return {
    async start() {
      if (loop.running()) return;
      shutdown = shutdownController();
      fanOuts.resume();
      signals.events = true;
      signals.deliveries = true;
      // LISTEN connects in the background; until it does, the poll finds the work.
      notifier?.listen(() => {
        signals.events = true;
        waker.wake();
      });
      loop.start();
    },

    async stop(timeoutMs = 10_000) {
      commits.cancel();
      // Fan-outs may run without the loop (runOnce, or a retry after a failed one).
      fanOuts.stop();
      await fanOuts.settled();
      if (!loop.live()) return;
      await loop.stop();
      await claims.release(scheduler.drain());
      if (active.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.allSettled([...active]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
        clearTimeout(timer);
        if (active.size > 0) {
          shutdown.abort();
          await Promise.allSettled([...active]);
        }
      }
      // Bounded too: with the database away, unwritten results are left to their leases.
      await recorder.flush(timeoutMs);
      await notifier?.close();
      attempts.destroy();
    },

    wake() {
      signals.events = true;
      // A running dispatcher here takes the work at once; others need telling only when none does.
      if (!loop.running()) notifier?.notify();
      commits.committed();
    },

    async redeliver(deliveryId) {
      const claimed = await claims.claimOne(deliveryId);
      // A manual attempt takes a slot like any other: a webhook's limit holds however many are asked for.
      if (!(await manual.acquire(claimed.row))) {
        await claims.releaseOne(claimed);
        throw new TooManyRequestsError("This webhook's delivery slots are busy; try again in a few seconds.", options.timeoutMs / 1000);
      }
      let how: Finished | undefined;
      try {
        const record = await attempt(claimed.row, "manual");
        how = record;
        await recorder.record(record);
        const { gone: _gone, ...result } = record;
        return result;
      } finally {
        finished(claimed.row, how);
      }
    },

    async stats() {
      const [row] = (await dataSource.query(statement(tablesOf(dataSource), STATS))) as Array<{ queued_events: number; pending: number; failed: number; succeeded: number }>;
      return { queuedEvents: row.queued_events, pending: row.pending, failed: row.failed, succeeded: row.succeeded, inFlight: scheduler.inFlight(), buffered: scheduler.buffered() };
    },

    activity() {
      return { running: loop.running(), passStartedAt, lastPassEndedAt, listening: notifier ? notifier.listening() : null, inFlight: scheduler.inFlight(), buffered: scheduler.buffered() };
    },

    async runOnce() {
      signals.events = true;
      signals.deliveries = true;
      const { fannedOut, claimed } = await pass({ waitForFanOuts: true });
      while (!scheduler.idle()) {
        await Promise.allSettled([...active]);
        if (shutdown.signal.aborted) await claims.release(scheduler.drain()); // stopped meanwhile: nothing more starts
        pump();
      }
      await recorder.flush();
      return { fannedOut, attempted: claimed };
    },
  };
}
