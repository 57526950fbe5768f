import type { AttemptRecord } from "../context";

/** Counts for a health endpoint. */
export interface DispatcherStats {
  /** Events recorded but not yet fanned out to webhooks. */
  queuedEvents: number;
  pending: number;
  failed: number;
  succeeded: number;
  /** Requests this dispatcher has in flight right now. */
  inFlight: number;
  /** Deliveries this dispatcher has claimed and will start as slots free up. */
  buffered: number;
}

/** What the loop is doing, read without a query (health checks and metrics gauges). */
export interface DispatcherActivity {
  /** Started and not stopped. */
  running: boolean;
  /** When the pass under way began, or null between passes (a pass that never ends is a stuck loop). */
  passStartedAt: Date | null;
  /** When the last pass ended, whether it found work, none, or failed; null before the first. */
  lastPassEndedAt: Date | null;
  /** LISTEN is connected; false while it reconnects (the poll finds the work), null when `notify` is off. */
  listening: boolean | null;
  /** Requests this dispatcher has in flight right now. */
  inFlight: number;
  /** Deliveries this dispatcher has claimed and will start as slots free up. */
  buffered: number;
}

/** The sending side: fans events out, claims due deliveries, sends and records them. */
export interface Dispatcher {
  /** Start the loop (and LISTEN). Resolves once it runs. */
  start(): Promise<void>;
  /** Stop claiming, wait for attempts in flight (at most `timeoutMs`, default 10 s), record them. */
  stop(timeoutMs?: number): Promise<void>;
  /** Look for new work now (called after commits; also sends NOTIFY to other processes). */
  wake(): void;
  /** One manual attempt of a delivery now, same id and body. */
  redeliver(deliveryId: string): Promise<AttemptRecord>;
  stats(): Promise<DispatcherStats>;
  /** What the loop is doing right now, without a query. */
  activity(): DispatcherActivity;
  /** Fan out and claim once, without the loop; resolves when the claimed attempts are recorded. For tests and scripts. */
  runOnce(): Promise<{ fannedOut: number; attempted: number }>;
}
