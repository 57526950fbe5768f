import type { LeasedDelivery } from "./claimed-row";
import type { Finished, Load, Schedulable, SchedulerLimits, Started } from "./scheduler-types";
import { Tally } from "./tally";

export type { Finished, Load, Schedulable, SchedulerLimits, Started } from "./scheduler-types";

/**
 * The local scheduler: which leased deliveries this dispatcher holds, and which to start next.
 * Pure state, no database and no I/O; the dispatcher tells it what was leased and what finished,
 * and asks it what to start and how much to claim.
 *
 * - Slots: at most `concurrency` attempts in flight, and per webhook its own number of slots
 *   (below). An account gets at most `perAccountConcurrency` while other accounts have work
 *   waiting here; slots nobody else wants it may use too (work-conserving).
 * - Slots per webhook, a circuit breaker: a webhook starts with an eighth of
 *   `perEndpointConcurrency`; each quick success adds one (up to `perEndpointConcurrency`), each
 *   attempt that took `slowAttemptMs` or more (a timeout, a hanging receiver) halves them (down to
 *   one). So endpoints that hang hold few slots, and only for as long as they keep hanging.
 * - The buffer: claims fill the slots and a buffer of the same size behind them, so attempts keep
 *   going while the next claim is on its way. A webhook may hold twice its slots, an account
 *   twice its own.
 * - Fairness: buffered deliveries start accounts in turn, and within an account its webhooks in
 *   turn, one delivery each per round.
 * - Leases: a buffered delivery whose lease would run out during its attempt is not started.
 * - Low water: claim again once this much room is free, not for every slot that frees up.
 */
export interface Scheduler<T extends Schedulable = LeasedDelivery> {
  /** What a webhook new to this dispatcher may hold: its first slots and as many buffered behind them. */
  readonly perWebhook: number;
  /** The free room at which claiming again is worth a round trip. */
  readonly lowWater: number;
  /** Deliveries a webhook holds here: in flight plus buffered. */
  held(webhookId: number): number;
  /** A webhook's slots now (the circuit breaker's state). */
  slots(webhookId: number): number;
  /** Whether a webhook holds all it may here. */
  isFull(webhookId: number): boolean;
  /** This dispatcher's holdings, for the claim and fan-out statements. */
  load(): Load;
  /** Room for more leased deliveries: the slots plus a buffer of the same size, less what is held (may be negative). */
  room(): number;
  /** Whether enough room is free for a claim to be worth it (the low-water rule). */
  roomForClaim(): boolean;
  /** How many a claim may take: the free room, a batch at most (0 or less when there is none). */
  claimSize(): number;
  /** Attempts in flight. */
  inFlight(): number;
  /** Deliveries leased and waiting for a slot. */
  buffered(): number;
  /** Nothing in flight and nothing buffered. */
  idle(): boolean;
  /** Buffer leased deliveries, behind those of their webhook. */
  enqueue(items: readonly T[]): void;
  /**
   * Take buffered deliveries while slots are free, accounts and webhooks in turn; those whose
   * lease ends before `now + timeoutMs` come back as stale instead of starting.
   */
  next(now: number): Started<T>;
  /**
   * Take a slot for a manual attempt (a redelivery) if the webhook, its account and the
   * dispatcher have one free; false when not. Manual attempts keep the same limits as scheduled ones.
   */
  startManual(webhookId: number, accountId: number): boolean;
  /** An attempt to this webhook ended: its slot is free, and how it went adjusts the webhook's slots. */
  finished(webhookId: number, accountId: number, how?: Finished): void;
  /** Take back everything buffered and not started. */
  drain(): T[];
}

export function createScheduler<T extends Schedulable = LeasedDelivery>(limits: SchedulerLimits): Scheduler<T> {
  const { concurrency, perEndpointConcurrency, perAccountConcurrency, batchSize, timeoutMs, slowAttemptMs } = limits;
  /**
   * A webhook's first slots: an eighth of its maximum, so that endpoints that hang from the start
   * cannot take an account's slots (eight such hold 16 of the 32 an account may use by default).
   */
  const firstSlots = Math.min(perEndpointConcurrency, limits.firstSlots ?? Math.max(1, Math.ceil(perEndpointConcurrency / 8)));
  const perWebhook = 2 * firstSlots;
  const perAccount = 2 * perAccountConcurrency;
  const lowWater = Math.max(1, Math.min(batchSize, Math.ceil(concurrency / 4)));
  /** Slots per webhook that differ from `firstSlots` (the breaker's memory; back to the default once equal). */
  const window = new Map<number, number>();
  /** Attempts in flight, per webhook and per account. */
  const running = new Tally();
  const runningByAccount = new Tally();
  let runningTotal = 0;
  /** Leased deliveries waiting for a slot: per account, per webhook, each map in turn order. */
  const ready = new Map<number, Map<number, T[]>>();
  const bufferedByWebhook = new Tally();
  const bufferedByAccount = new Tally();
  let bufferedTotal = 0;

  const slots = (webhookId: number) => window.get(webhookId) ?? firstSlots;
  const held = (webhookId: number) => running.get(webhookId) + bufferedByWebhook.get(webhookId);
  const accountHeld = (accountId: number) => runningByAccount.get(accountId) + bufferedByAccount.get(accountId);
  const room = () => 2 * concurrency - runningTotal - bufferedTotal;
  const canStart = (webhookId: number, accountId: number, capped = true) =>
    runningTotal < concurrency && running.get(webhookId) < slots(webhookId) && (!capped || runningByAccount.get(accountId) < perAccountConcurrency);
  const take = (webhookId: number, accountId: number) => {
    running.add(webhookId, 1);
    runningByAccount.add(accountId, 1);
    runningTotal += 1;
  };

  return {
    perWebhook,
    lowWater,
    held,
    slots,
    isFull: (webhookId) => held(webhookId) >= 2 * slots(webhookId),
    load() {
      const ids = [...new Set([...running.keys(), ...bufferedByWebhook.keys(), ...window.keys()])];
      const used = ids.map((id) => held(id) + perWebhook - 2 * slots(id));
      const accounts = [...new Set([...runningByAccount.keys(), ...bufferedByAccount.keys()])];
      const counts = accounts.map(accountHeld);
      return {
        busy: ids,
        held: used,
        full: ids.filter((_, i) => used[i] >= perWebhook),
        room: Math.max(0, room()),
        perWebhook,
        accounts,
        accountHeld: counts,
        fullAccounts: accounts.filter((_, i) => counts[i] >= perAccount),
        perAccount,
      };
    },
    room,
    // lowWater ≤ concurrency / 4, less than an idle dispatcher's room: an idle one always has room.
    roomForClaim: () => room() >= lowWater,
    claimSize: () => Math.min(room(), batchSize),
    inFlight: () => runningTotal,
    buffered: () => bufferedTotal,
    idle: () => runningTotal + bufferedTotal === 0,

    enqueue(items) {
      for (const item of items) {
        const { webhook_id: webhookId, account_id: accountId } = item.row;
        let webhooks = ready.get(accountId);
        if (!webhooks) ready.set(accountId, (webhooks = new Map()));
        const queue = webhooks.get(webhookId);
        if (queue) queue.push(item);
        else webhooks.set(webhookId, [item]);
        bufferedByWebhook.add(webhookId, 1);
        bufferedByAccount.add(accountId, 1);
      }
      bufferedTotal += items.length;
    },

    next(now) {
      const start: T[] = [];
      const stale: T[] = [];
      // Rounds over the accounts in turn, and in each over its webhooks in turn, one delivery per
      // account per round, until the slots or the buffer run out. Work-conserving: when only
      // accounts at their cap have work left, slots nobody else wants go to them too (the next
      // start after any attempt ends goes to the accounts under their cap first).
      let capped = true;
      while (runningTotal < concurrency && bufferedTotal > 0) {
        let progress = false;
        for (const [accountId, webhooks] of [...ready]) {
          if (runningTotal >= concurrency) break;
          if (capped && runningByAccount.get(accountId) >= perAccountConcurrency) continue;
          for (const [webhookId, queue] of webhooks) {
            if (!canStart(webhookId, accountId, capped)) continue;
            const item = queue.shift() as T;
            bufferedTotal -= 1;
            bufferedByWebhook.add(webhookId, -1);
            bufferedByAccount.add(accountId, -1);
            // The webhook goes to the end of its account's turn order (an emptied one leaves it),
            // and the account to the end of the accounts'.
            webhooks.delete(webhookId);
            if (queue.length > 0) webhooks.set(webhookId, queue);
            ready.delete(accountId);
            if (webhooks.size > 0) ready.set(accountId, webhooks);
            progress = true;
            if (now + timeoutMs > item.lease.getTime()) stale.push(item);
            else {
              take(webhookId, accountId);
              start.push(item);
            }
            break;
          }
        }
        if (!progress) {
          if (!capped) break;
          capped = false;
        }
      }
      return { start, stale };
    },

    startManual(webhookId, accountId) {
      if (!canStart(webhookId, accountId)) return false;
      take(webhookId, accountId);
      return true;
    },

    finished(webhookId, accountId, how) {
      running.add(webhookId, -1);
      runningByAccount.add(accountId, -1);
      runningTotal -= 1;
      if (!how) return;
      const current = slots(webhookId);
      let next = current;
      if (how.durationMs >= slowAttemptMs) next = Math.max(1, Math.floor(current / 2));
      else if (how.ok) next = Math.min(perEndpointConcurrency, current + 1);
      if (next === firstSlots) window.delete(webhookId);
      else window.set(webhookId, next);
    },

    drain() {
      const items = [...ready.values()].flatMap((webhooks) => [...webhooks.values()].flat());
      ready.clear();
      for (const item of items) {
        bufferedByWebhook.add(item.row.webhook_id, -1);
        bufferedByAccount.add(item.row.account_id, -1);
      }
      bufferedTotal = 0;
      return items;
    },
  };
}
