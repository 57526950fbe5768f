import { randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import type { Logger } from "../options";
import { rowsOf } from "../delivery/rows";
import { statementsOf } from "../tables";
import { ADVANCE_RECOVERY, CLAIM_RECOVERIES, FIRST_ID, LOCK_RECOVERY, RECOVER_BATCH, RELEASE_RECOVERIES } from "./sql/recovery-statements";

/** How long a runner's lease on a recovery lasts without a batch renewing it. */
export const RECOVERY_LEASE_MS = 30_000;
/** Recoveries one runner takes on at once (one batch of each per round). */
const MAX_CLAIMED = 8;

export interface RunnerSettings {
  dataSource: DataSource;
  logger: Logger;
  clock: () => Date;
  /** Deliveries made due per batch (one short transaction). */
  batchSize: number;
  /** Pause after each round of batches, so the dispatcher and the API get the database. */
  pauseMs: number;
  /** Called after each round that made deliveries due (wakes the dispatchers). */
  wake: () => void;
  /** How often a watching runner looks for recoveries nobody runs. */
  watchIntervalMs: number;
}

export interface RecoveryRunner {
  /** Run what needs a runner, in the background; a kick while running makes it look again. */
  kick(): void;
  /** Kick now and every `watchIntervalMs` (a dispatcher process: resumes what a dead process left). */
  watch(): void;
  /** Resolves when nothing runs (tests and scripts). */
  idle(): Promise<void>;
  /** Stop after the batch in progress and hand the leases back (until `watch()` again). */
  stop(): Promise<void>;
}

interface LockedRecovery {
  webhook_ids: number[];
  since: string;
  until: string;
  cursor_webhook_id: number | null;
  cursor_created_at: string | null;
  cursor_id: string | null;
}

interface BatchResult {
  picked: number;
  moved: number;
  last_created_at: string | null;
  last_id: string | null;
}

/**
 * Drives recoveries a batch at a time. The state is all in `webhook_recoveries`: each round
 * leases the running recoveries nobody runs (or renews ours), moves one batch of each in its own
 * short transaction, wakes the dispatchers, and pauses. Any process may run this; a process that
 * dies leaves a lease that runs out, and the next runner to look takes over at the cursor.
 */
export function createRecoveryRunner(settings: RunnerSettings): RecoveryRunner {
  const { dataSource, logger, clock } = settings;
  const sql = statementsOf(dataSource);
  const token = randomUUID();
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let interrupt: (() => void) | null = null;

  /** The pause between rounds; `stop()` cuts it short. */
  const pause = () =>
    new Promise<void>((resolve) => {
      const handle = setTimeout(resolve, settings.pauseMs);
      interrupt = () => {
        clearTimeout(handle);
        resolve();
      };
    }).finally(() => {
      interrupt = null;
    });

  const leaseEnd = () => new Date(clock().getTime() + RECOVERY_LEASE_MS);

  /** One batch of one recovery; false when it is no longer ours or has finished. */
  const batch = (id: string): Promise<boolean> =>
    dataSource.transaction(async (manager) => {
      const [recovery] = (await manager.query(sql(LOCK_RECOVERY), [id, token])) as LockedRecovery[];
      if (!recovery || recovery.cursor_webhook_id === null) return false;
      const now = clock();
      const [moved] = (await manager.query(sql(RECOVER_BATCH), [
        recovery.cursor_webhook_id,
        recovery.cursor_created_at,
        recovery.cursor_id,
        recovery.until,
        settings.batchSize,
        now,
      ])) as BatchResult[];
      let cursor: [number | null, string | null, string | null] = [recovery.cursor_webhook_id, moved.last_created_at, moved.last_id];
      let finished = false;
      if (moved.picked < settings.batchSize) {
        // This webhook is done: on to the next one behind the owner, or finished.
        const ids = [...recovery.webhook_ids].sort((a, b) => a - b);
        const next = ids.find((webhookId) => webhookId > (recovery.cursor_webhook_id as number));
        if (next === undefined) finished = true;
        cursor = next === undefined ? [recovery.cursor_webhook_id, recovery.cursor_created_at, recovery.cursor_id] : [next, recovery.since, FIRST_ID];
      }
      const [row] = rowsOf<{ state: string }>(await manager.query(sql(ADVANCE_RECOVERY), [id, moved.moved, finished, ...cursor, now, leaseEnd()]));
      return row?.state === "running";
    });

  const drive = async (): Promise<void> => {
    while (!stopped) {
      again = false;
      const claimed = rowsOf<{ id: string }>(await dataSource.query(sql(CLAIM_RECOVERIES), [clock(), leaseEnd(), token, MAX_CLAIMED]));
      if (claimed.length === 0 && !again) return;
      for (const { id } of claimed) {
        if (stopped) break;
        await batch(id);
      }
      if (claimed.length > 0) settings.wake();
      await pause();
    }
  };

  const kick = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = drive()
      .catch((error: unknown) => logger.error({ err: error }, "bulk recovery stopped on a database error; it resumes when a runner looks again"))
      .finally(() => {
        running = null;
      });
  };

  return {
    kick,
    watch() {
      stopped = false;
      if (timer) return;
      kick();
      timer = setInterval(kick, settings.watchIntervalMs);
      timer.unref();
    },
    async idle() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      interrupt?.();
      if (timer) clearInterval(timer);
      timer = null;
      while (running) await running;
      await dataSource.query(sql(RELEASE_RECOVERIES), [token]).catch((error: unknown) => logger.warn({ err: error }, "could not hand back bulk recovery leases; they run out by themselves"));
    },
  };
}
