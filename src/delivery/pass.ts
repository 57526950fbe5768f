import type { Claims } from "./claims";
import type { FanOutRunner } from "./fan-out-runner";
import type { WorkSignals } from "./loop";
import type { LeasedDelivery } from "./claimed-row";
import type { Load, Scheduler } from "./scheduler";

export interface PassSettings {
  scheduler: Scheduler;
  /** Fan-outs run beside the pass (see fan-out-runner.ts); the pass starts them. */
  fanOuts: FanOutRunner;
  claims: Claims;
  signals: WorkSignals;
  /** Housekeeping; does its own timing. */
  prune: () => Promise<void>;
  /** Start what the scheduler lets start. */
  pump: () => void;
  /** Attempt results not yet written; claims wait while this reaches `concurrency`. */
  unwritten: () => number;
  concurrency: number;
}

export interface PassResult {
  /** Events fanned out (only counted when the pass waited for its fan-outs). */
  fannedOut: number;
  /** Deliveries leased by this pass's claim (and by its fan-outs, when it waited for them). */
  claimed: number;
  /** Known work is left that the next pass can take at once: go again rather than sleep. */
  more: boolean;
}

export interface PassOptions {
  /**
   * Wait for the fan-outs before claiming (runOnce: one pass does all it can, and rows fan-out
   * could not lease are claimed in it). The loop does not wait: its fan-outs run beside it.
   */
  waitForFanOuts: boolean;
}

/**
 * One pass of the dispatcher: prune when due, start fan-outs of new events (rows for webhooks
 * with room come back leased and start at once), then claim due deliveries if there is room.
 */
export function createPass(settings: PassSettings): (options?: PassOptions) => Promise<PassResult> {
  const { scheduler, fanOuts, claims, signals, pump, concurrency } = settings;

  /** Go again at once when this pass leased all it could and room is free. */
  const result = (fannedOut: number, claimed: number, limit: number, filled: boolean): PassResult => ({
    fannedOut,
    claimed,
    more: (claimed === limit || filled) && claimed > 0 && scheduler.roomForClaim(),
  });

  return async (options = { waitForFanOuts: false }) => {
    await settings.prune();
    let fannedOut = 0;
    let leased = 0;
    fanOuts.kick(options.waitForFanOuts);
    if (options.waitForFanOuts) {
      fanOuts.take();
      await fanOuts.settled();
      const taken = fanOuts.take();
      if (taken.error) throw taken.error;
      fannedOut = taken.fannedOut;
      leased = taken.leased;
    }

    const limit = scheduler.claimSize();
    const load = scheduler.load();
    if (claims.pointless(load.full)) return result(fannedOut, leased, limit, false);
    // Claim when the low-water mark of room is free (always so when nothing is held), and not while
    // results pile up faster than they are written: a crash re-sends what was not recorded.
    if (!signals.deliveries || limit <= 0 || !scheduler.roomForClaim() || settings.unwritten() >= concurrency) {
      return result(fannedOut, leased, limit, false);
    }
    signals.deliveries = false;
    const claimed = await claims.claim(limit, load);
    scheduler.enqueue(claimed);
    // A webhook the claim filled up may have more due. Claim again at once (it is left out now,
    // being full), so one webhook's long backlog cannot keep the others waiting.
    const filled = claimed.some((item) => scheduler.isFull(item.row.webhook_id));
    // A claim that took less than it could, leaving nobody out and taking less than each webhook
    // and account was allowed, left nothing due behind: no claim until something new comes (a
    // fan-out's unleased rows, a poll, handed-back leases, an ordered delivery that ended). Any
    // other claim may have left rows behind: those are claimed as attempts finish.
    if (claimed.length === limit || filled || mayHaveLeftBehind(claimed, load)) signals.deliveries = true;
    pump();
    return result(fannedOut, leased + claimed.length, limit, filled);
  };
}

/**
 * Whether a claim that `load` limited may have left due rows behind: it left out a webhook or an
 * account at its limit, or gave one as many as it was allowed (slots can grow while the claim
 * runs, so what the scheduler holds afterwards does not tell).
 */
export function mayHaveLeftBehind(claimed: readonly LeasedDelivery[], load: Load): boolean {
  if (load.full.length > 0 || load.fullAccounts.length > 0) return true;
  const perWebhook = new Map<number, number>();
  const perAccount = new Map<number, number>();
  for (const { row } of claimed) {
    perWebhook.set(row.webhook_id, (perWebhook.get(row.webhook_id) ?? 0) + 1);
    perAccount.set(row.account_id, (perAccount.get(row.account_id) ?? 0) + 1);
  }
  const webhookHeld = new Map(load.busy.map((id, i) => [id, load.held[i]]));
  const accountHeld = new Map(load.accounts.map((id, i) => [id, load.accountHeld[i]]));
  for (const [id, taken] of perWebhook) if (taken >= load.perWebhook - (webhookHeld.get(id) ?? 0)) return true;
  for (const [id, taken] of perAccount) if (taken >= load.perAccount - (accountHeld.get(id) ?? 0)) return true;
  return false;
}
