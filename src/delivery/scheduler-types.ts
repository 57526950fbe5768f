/** The shapes the local scheduler ({@link ./scheduler}) shares with claims, fan-out and the dispatcher. */

/** The limits the local scheduler keeps (from the resolved options). */
export interface SchedulerLimits {
  /** Attempts in flight at once in this dispatcher, over all webhooks. */
  concurrency: number;
  /** The most attempts in flight at once to one webhook (its slots once it has shown it answers quickly). */
  perEndpointConcurrency: number;
  /** Attempts in flight at once for one account, over all its webhooks. */
  perAccountConcurrency: number;
  /** The most one claim takes. */
  batchSize: number;
  /** The longest an attempt may take: a delivery whose lease ends sooner than that is not started. */
  timeoutMs: number;
  /** An attempt that took at least this long (a timeout included) halves its webhook's slots. */
  slowAttemptMs: number;
  /** The slots a webhook new to this dispatcher starts with; an eighth of `perEndpointConcurrency` unless given. */
  firstSlots?: number;
}

/** What a claim or a fan-out must know of this dispatcher to lease only what it can hold. */
export interface Load {
  /** Webhooks listed with what they hold here (in flight or buffered)... */
  busy: number[];
  /**
   * ...and how much of `perWebhook` each has used, in the same order: what it holds, plus (or
   * less) the difference between `perWebhook` and what it may hold now (its slots grew or shrank).
   */
  held: number[];
  /** Webhooks holding all they may: claims leave them out. */
  full: number[];
  /** Room for more leased deliveries here (never below 0). */
  room: number;
  /** What a webhook not listed in `busy` may hold here. */
  perWebhook: number;
  /** Accounts with deliveries here... */
  accounts: number[];
  /** ...and how many each holds, in the same order. */
  accountHeld: number[];
  /** Accounts holding all they may: claims leave them out. */
  fullAccounts: number[];
  /** What one account may hold here. */
  perAccount: number;
}

/** What {@link Scheduler.next} hands out: deliveries to start now, and leases to hand back. */
export interface Started<T> {
  /** Counted in flight already; call {@link Scheduler.finished} when each attempt ends. */
  start: T[];
  /** Leases that end before an attempt could: not started, to be released. */
  stale: T[];
}

/** How an attempt went, as far as its webhook's slots are concerned. */
export interface Finished {
  ok: boolean;
  durationMs: number;
}

/** What the scheduler needs of a leased delivery. */
export interface Schedulable {
  row: { webhook_id: number; account_id: number };
  lease: Date;
}
