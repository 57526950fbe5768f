import type { ClaimedRow } from "./claimed-row";
import type { Scheduler } from "./scheduler";

/** Manual attempts (redeliveries) waiting for a slot: they keep the same limits as scheduled ones. */
export interface ManualSlots {
  /** A slot for this row's webhook and account; false if none freed up within the wait. */
  acquire(row: ClaimedRow): Promise<boolean>;
  /** Slots may have freed: give them to waiting manual attempts first (call before starting buffered deliveries). */
  serve(): void;
}

export function createManualSlots(scheduler: Pick<Scheduler, "startManual">, waitMs: number): ManualSlots {
  const waiting: Array<{ row: ClaimedRow; started: () => void }> = [];
  const tryStart = (row: ClaimedRow) => scheduler.startManual(row.webhook_id, row.account_id);
  return {
    acquire(row) {
      if (waiting.length === 0 && tryStart(row)) return Promise.resolve(true);
      return new Promise((resolve) => {
        const waiter = { row, started: () => (clearTimeout(timer), resolve(true)) };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(waiter), 1);
          resolve(false);
        }, waitMs);
        waiting.push(waiter);
      });
    },
    serve() {
      for (let i = 0; i < waiting.length; ) {
        const waiter = waiting[i];
        if (tryStart(waiter.row)) {
          waiting.splice(i, 1);
          waiter.started();
        } else i += 1;
      }
    },
  };
}
