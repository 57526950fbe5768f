import type { LeasedDelivery } from "./claimed-row";

/** The limits the local scheduler keeps (from the resolved options). */
export interface SchedulerLimits {
  /** Attempts in flight at once in this dispatcher, over all webhooks. */
  concurrency: number;
  /** Attempts in flight at once to one webhook. */
  perEndpointConcurrency: number;
  /** The most one claim takes. */
  batchSize: number;
  /** The longest an attempt may take: a delivery whose lease ends sooner than that is not started. */
  timeoutMs: number;
}

/** What a claim or a fan-out must know of this dispatcher to lease only what it can hold. */
export interface Load {
  /** Webhooks with deliveries here (in flight or buffered)... */
  busy: number[];
  /** ...and how many each holds, in the same order. */
  held: number[];
  /** Webhooks holding all they may: claims leave them out. */
  full: number[];
  /** Room for more leased deliveries here (never below 0). */
  room: number;
  /** What one webhook may hold here. */
  perWebhook: number;
}

/** What {@link Scheduler.next} hands out: deliveries to start now, and leases to hand back. */
export interface Started<T> {
  /** Counted in flight already; call {@link Scheduler.finished} when each attempt ends. */
  start: T[];
  /** Leases that end before an attempt could: not started, to be released. */
  stale: T[];
}

/**
 * The local scheduler: which leased deliveries this dispatcher holds, and which to start next.
 * Pure state, no database and no I/O; the dispatcher tells it what was leased and what finished,
 * and asks it what to start and how much to claim.
 *
 * - Slots: at most `concurrency` attempts in flight, and `perEndpointConcurrency` per webhook.
 * - The buffer: claims fill the slots and a buffer of the same size behind them, so attempts keep
 *   going while the next claim is on its way. One webhook may hold twice its slots.
 * - Fairness: buffered deliveries start taking webhooks in turn, one each per round.
 * - Leases: a buffered delivery whose lease would run out during its attempt is not started.
 * - Low water: claim again once this much room is free, not for every slot that frees up.
 */
export interface Scheduler<T extends { row: { webhook_id: number }; lease: Date } = LeasedDelivery> {
  /** What one webhook may hold here: its slots and as many buffered behind them. */
  readonly perWebhook: number;
  /** The free room at which claiming again is worth a round trip. */
  readonly lowWater: number;
  /** Deliveries a webhook holds here: in flight plus buffered. */
  held(webhookId: number): number;
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
   * Take buffered deliveries while slots are free, webhooks in turn; those whose lease ends
   * before `now + timeoutMs` come back as stale instead of starting.
   */
  next(now: number): Started<T>;
  /** An attempt to this webhook ended: its slot is free. */
  finished(webhookId: number): void;
  /** Take back everything buffered and not started. */
  drain(): T[];
}

export function createScheduler<T extends { row: { webhook_id: number }; lease: Date } = LeasedDelivery>(limits: SchedulerLimits): Scheduler<T> {
  const { concurrency, perEndpointConcurrency, batchSize, timeoutMs } = limits;
  const perWebhook = 2 * perEndpointConcurrency;
  const lowWater = Math.max(1, Math.min(batchSize, Math.ceil(concurrency / 4)));
  /** Attempts in flight, per webhook. */
  const running = new Map<number, number>();
  let runningTotal = 0;
  /** Leased deliveries waiting here for a free slot of their webhook, per webhook, in turn order. */
  const ready = new Map<number, T[]>();
  let bufferedTotal = 0;

  const held = (webhookId: number) => (running.get(webhookId) ?? 0) + (ready.get(webhookId)?.length ?? 0);
  const busy = (): number[] => [...new Set([...running.keys(), ...ready.keys()])];
  const room = () => 2 * concurrency - runningTotal - bufferedTotal;

  return {
    perWebhook,
    lowWater,
    held,
    isFull: (webhookId) => held(webhookId) >= perWebhook,
    load() {
      const ids = busy();
      const counts = ids.map(held);
      return { busy: ids, held: counts, full: ids.filter((_, i) => counts[i] >= perWebhook), room: Math.max(0, room()), perWebhook };
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
        const queue = ready.get(item.row.webhook_id);
        if (queue) queue.push(item);
        else ready.set(item.row.webhook_id, [item]);
      }
      bufferedTotal += items.length;
    },

    next(now) {
      const start: T[] = [];
      const stale: T[] = [];
      let progress = true;
      // Rounds over the webhooks in turn, one delivery each, until the slots or the buffer run out.
      while (progress && runningTotal < concurrency && bufferedTotal > 0) {
        progress = false;
        for (const [webhookId, queue] of ready) {
          if (runningTotal >= concurrency) break;
          if ((running.get(webhookId) ?? 0) >= perEndpointConcurrency) continue;
          const item = queue.shift() as T;
          bufferedTotal -= 1;
          // An emptied webhook leaves the turn order; it joins again at the end.
          if (queue.length === 0) ready.delete(webhookId);
          progress = true;
          if (now + timeoutMs > item.lease.getTime()) {
            stale.push(item);
            continue;
          }
          running.set(webhookId, (running.get(webhookId) ?? 0) + 1);
          runningTotal += 1;
          start.push(item);
        }
      }
      return { start, stale };
    },

    finished(webhookId) {
      const left = (running.get(webhookId) ?? 1) - 1;
      if (left <= 0) running.delete(webhookId);
      else running.set(webhookId, left);
      runningTotal -= 1;
    },

    drain() {
      const items = [...ready.values()].flat();
      ready.clear();
      bufferedTotal = 0;
      return items;
    },
  };
}
