import { backoffMs } from "./backoff";

/**
 * Why the next pass has work to look for. Whoever learns of possible work raises a signal; the
 * pass lowers it when it looks. Both start raised, and the poll and a failed pass raise both.
 */
export interface WorkSignals {
  /** Events may wait to be fanned out: a commit here, a NOTIFY, a fan-out that took a full batch. */
  events: boolean;
  /**
   * Deliveries may be due beyond those claimed: fan-out left rows for a claim, a claim took all it
   * was allowed, leases were handed back.
   */
  deliveries: boolean;
}

/** A sleep that a wake-up cuts short, including one that came while the loop was not asleep. */
export interface Waker {
  /** End the current sleep now, or the next one at once. */
  wake(): void;
  /** Wait for a wake-up or `ms`; true when the time ran out. */
  sleep(ms: number): Promise<boolean>;
}

export function createWaker(): Waker {
  let wakeUp: (() => void) | null = null;
  /** A wake-up came while nobody slept: the next sleep returns at once, so it is not lost. */
  let pending = false;
  return {
    wake() {
      pending = true;
      wakeUp?.();
    },
    sleep: (ms) =>
      new Promise<boolean>((resolve) => {
        if (pending) {
          pending = false;
          return resolve(false);
        }
        const finish = (timedOut: boolean) => {
          clearTimeout(timer);
          wakeUp = null;
          pending = false;
          resolve(timedOut);
        };
        const timer = setTimeout(() => finish(true), ms);
        wakeUp = () => finish(false);
      }),
  };
}

/** Commits closer together than this are a burst ... */
const BURST_GAP_MS = 3;
/** ... and gather this long before the fan-out that takes them. */
const BURST_LINGER_MS = 10;

/** Wake-ups for the host's commits. */
export interface CommitWaker {
  /** A commit recorded events: wake the loop, at once for a lone commit, a moment later in a burst. */
  committed(): void;
  /** Drop a wake-up still waiting (at stop). */
  cancel(): void;
}

/**
 * A lone commit wakes the loop at once. Commits in a burst (the host saving in a loop) gather a
 * moment, so one fan-out takes many events at the cost of one (about a dozen queries whatever its
 * size) instead of racing the host's own writes event by event.
 */
export function createCommitWaker(waker: Waker, now: () => number = () => performance.now()): CommitWaker {
  /** When the last commit came. */
  let lastAt = -Infinity;
  /** The burst's wake-up, pending. */
  let linger: NodeJS.Timeout | null = null;
  return {
    committed() {
      const at = now();
      const burst = at - lastAt < BURST_GAP_MS;
      lastAt = at;
      if (!burst) return waker.wake();
      linger ??= setTimeout(() => {
        linger = null;
        waker.wake();
      }, BURST_LINGER_MS);
    },
    cancel() {
      if (linger) clearTimeout(linger);
      linger = null;
    },
  };
}

export interface LoopSettings {
  /** One pass; resolves to whether to go again at once (more work is known to wait) rather than sleep. */
  pass: () => Promise<boolean>;
  signals: WorkSignals;
  waker: Waker;
  pollIntervalMs: number;
  /** The poll came (no wake-up for a poll interval): besides raising both signals. */
  onPoll: () => void;
  /** A pass threw; the loop backs off and goes on. */
  onError: (error: Error) => void;
}

export interface Loop {
  start(): void;
  /** Let the pass under way finish and stop; resolves when the loop has ended. */
  stop(): Promise<void>;
  /** Started and not stopped. */
  running(): boolean;
  /** Started, and not yet ended (a stop may be waiting for the last pass). */
  live(): boolean;
}

/**
 * The dispatcher's loop: a pass, then straight on when it says more waits, else sleep until a
 * wake-up or the poll interval. The poll is the fallback for missed notifications and how due
 * retries are found. A pass that throws (the database away) is retried after a growing backoff.
 */
export function createLoop(settings: LoopSettings): Loop {
  const { pass, signals, waker, pollIntervalMs } = settings;
  let running = false;
  let ended: Promise<void> | null = null;

  const run = async (): Promise<void> => {
    let failures = 0;
    let polled = Date.now();
    while (running) {
      // Wake-ups for new events cut every sleep short under steady traffic; the poll must come
      // anyway, or due retries and recovered deliveries would wait for a quiet second.
      if (Date.now() - polled >= pollIntervalMs) {
        polled = Date.now();
        signals.events = true;
        signals.deliveries = true;
        settings.onPoll();
      }
      let more: boolean;
      try {
        more = await pass();
        failures = 0;
      } catch (error) {
        failures += 1;
        signals.events = true;
        signals.deliveries = true;
        settings.onError(error as Error);
        await waker.sleep(backoffMs(failures));
        continue;
      }
      if (!more && (await waker.sleep(pollIntervalMs))) {
        polled = Date.now();
        signals.events = true;
        signals.deliveries = true;
        settings.onPoll();
      }
    }
  };

  return {
    start() {
      running = true;
      ended = run();
    },
    async stop() {
      running = false;
      waker.wake();
      await ended;
      ended = null;
    },
    running: () => running,
    live: () => running || ended !== null,
  };
}
