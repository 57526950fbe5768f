import path from "node:path";
import { Worker } from "node:worker_threads";
import type { WebhooksEvents } from "../../context";
import type { Logger } from "../../options";
import type { Dispatcher, DispatcherActivity } from "../dispatcher-types";
import { emitSafely } from "../emit-safely";
import { errorOf, fromPlain, type FromThread, type ToThread } from "./protocol";
import type { ThreadConfig } from "./thread-config";

/** Run from the compiled package, or from the TypeScript sources (the library's own tests). */
const FROM_SOURCE = __filename.endsWith(".ts");
const ENTRY = path.join(__dirname, FROM_SOURCE ? "worker-entry.ts" : "worker-entry.js");
const EXEC_ARGV = FROM_SOURCE ? ["--require", "ts-node/register/transpile-only"] : undefined;

/** After the thread ended unexpectedly: 1 s before the next, doubling up to 30 s. */
const RESTART_MS = 1000;
const RESTART_MAX_MS = 30_000;

export interface ThreadDispatcherParts {
  config: ThreadConfig;
  /**
   * The engine in the host's thread, not started: manual redeliveries and `runOnce()` run there,
   * and its `wake()` tells other processes (NOTIFY) while the thread is not running.
   */
  engine: Dispatcher;
  events: WebhooksEvents;
  logger: Logger;
  /** Called with each thread as it is created (tests end one to see it replaced). */
  onThread?: (worker: Worker) => void;
}

interface Thread {
  worker: Worker;
  started: boolean;
  exited: Promise<void>;
}

/**
 * The dispatcher on a thread of its own (worker-entry.ts): the host's requests and the
 * dispatcher's fan-outs, sends and writes no longer share one event loop. What the thread reports
 * reaches the host as if it ran here: its events on `webhooks.events` (and so the metrics and
 * the delivery log lines), its log lines in the host's logger, its activity in `activity()` and
 * the health checks. A thread that ends without being stopped is reported and started again.
 */
export function createThreadDispatcher({ config, engine, events, logger, onThread }: ThreadDispatcherParts): Dispatcher {
  let thread: Thread | null = null;
  let activity: DispatcherActivity | null = null;
  /** start() was called and stop() was not. */
  let wanted = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let restarts = 0;

  const open = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(ENTRY, { workerData: config, execArgv: EXEC_ARGV });
      let failure: Error | null = null;
      const current: Thread = { worker, started: false, exited: new Promise((done) => worker.once("exit", () => done())) };
      thread = current;
      onThread?.(worker);
      worker.on("message", (message: FromThread) => {
        if ("activity" in message && thread === current) activity = fromPlain(message.activity) as DispatcherActivity;
        if (message.type === "started") {
          current.started = true;
          restarts = 0;
          resolve();
        } else if (message.type === "events") {
          for (const { name, args } of message.events) emitSafely(events, logger, name, ...(args.map(fromPlain) as [never]));
        } else if (message.type === "log") {
          logger[message.level](fromPlain(message.obj) as object, message.msg);
        } else if (message.type === "failed") {
          failure = errorOf(message.error);
        }
      });
      worker.on("error", (error) => (failure = error));
      worker.on("exit", (code) => {
        if (thread === current) {
          thread = null;
          activity = null;
        }
        if (!current.started) return reject(failure ?? new Error(`the webhook dispatcher's thread exited with code ${code} before it started`));
        if (!wanted) return;
        const error = failure ?? new Error(`the webhook dispatcher's thread exited with code ${code}`);
        logger.error({ err: error }, "the webhook dispatcher's thread ended; starting another");
        emitSafely(events, logger, "dispatcher.error", error);
        restartLater();
      });
    });

  const restartLater = (): void => {
    const delay = Math.min(RESTART_MAX_MS, RESTART_MS * 2 ** restarts);
    restarts += 1;
    restartTimer = setTimeout(() => {
      if (!wanted || thread) return;
      open().catch((error: Error) => {
        logger.error({ err: error }, "the webhook dispatcher's thread could not start; trying again");
        emitSafely(events, logger, "dispatcher.error", error);
        if (wanted && !thread) restartLater();
      });
    }, delay);
  };

  const post = (message: ToThread) => thread?.worker.postMessage(message);

  return {
    async start() {
      if (wanted && thread) return;
      wanted = true;
      try {
        await open();
      } catch (error) {
        wanted = false;
        throw error;
      }
    },

    async stop(timeoutMs = 10_000) {
      wanted = false;
      clearTimeout(restartTimer);
      const current = thread;
      if (current) {
        post({ type: "stop", timeoutMs });
        // The thread waits for its attempts and then for their writes, each at most timeoutMs.
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 2 * timeoutMs + 5000)));
        if (await Promise.race([current.exited.then(() => false), late])) await current.worker.terminate();
        clearTimeout(timer);
      }
      await engine.stop(timeoutMs);
    },

    wake() {
      if (thread?.started) post({ type: "wake" });
      else engine.wake();
    },

    redeliver: (deliveryId) => engine.redeliver(deliveryId),

    async stats() {
      const stats = await engine.stats();
      if (!activity) return stats;
      return { ...stats, inFlight: stats.inFlight + activity.inFlight, buffered: stats.buffered + activity.buffered };
    },

    activity() {
      const here = engine.activity();
      if (!activity) return here;
      return { ...activity, inFlight: activity.inFlight + here.inFlight, buffered: activity.buffered + here.buffered };
    },

    runOnce: () => engine.runOnce(),
  };
}
