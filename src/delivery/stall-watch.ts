import type { DataSource } from "typeorm";
import type { Logger } from "../options";
import { statement, tablesOf, type Tables } from "../tables";

/** How often the warning may repeat while events keep waiting. */
const REPEAT_MS = 60 * 60 * 1000;

/** The oldest event not yet fanned out, in seconds, or null when none waits. */
const OLDEST_WAITING = (t: Tables): string => `SELECT extract(epoch FROM now() - min(created_at))::float8 AS age FROM ${t.webhookEvents} WHERE fanned_out_at IS NULL`;

/**
 * Watches for the mistake of a host that records events but runs no dispatcher anywhere: after
 * an event is recorded in a process whose dispatcher is not running, it looks once, `afterMs`
 * later, at the oldest waiting event; if that is older than `afterMs`, nobody is sending, and it
 * says so (at most once an hour). A web process next to a worker sees nothing: the worker keeps
 * the outbox empty.
 */
export function createStallWatch(dataSource: DataSource, logger: Logger, afterMs: number): { recorded(): void; stop(): void } {
  let timer: NodeJS.Timeout | null = null;
  let warnedAt = -Infinity;
  let stopped = false;

  const check = async () => {
    timer = null;
    if (stopped || !dataSource.isInitialized) return;
    try {
      const [row] = (await dataSource.query(statement(tablesOf(dataSource), OLDEST_WAITING))) as Array<{ age: number | null }>;
      if (row?.age != null && row.age * 1000 >= afterMs && Date.now() - warnedAt >= REPEAT_MS) {
        warnedAt = Date.now();
        // "Unless": a worker elsewhere may only be far behind; this process cannot tell.
        logger.warn(
          { oldestWaitingSeconds: Math.round(row.age) },
          `webhook events have waited ${Math.round(row.age)} s and this process runs no dispatcher: unless a worker process runs one, call \`await webhooks.dispatcher.start()\` here or start a worker that does (see the README, 'Adopting it in your app')`,
        );
      }
    } catch (error) {
      logger.debug({ err: error }, "could not check for waiting webhook events");
    }
  };

  return {
    recorded() {
      if (stopped || timer) return;
      timer = setTimeout(() => void check(), afterMs);
      timer.unref();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
