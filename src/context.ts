import type { EventEmitter } from "node:events";
import type { ResolvedOptions } from "./options";
import type { TargetKind } from "./delivery/target-kind";
import type { RecoveryRunner } from "./recovery/recovery-runner";
import type { AttemptTrigger, DeliveryStatus } from "./types";

/** What one HTTP attempt came to. Failures are data: a send never throws. */
export interface DeliveryOutcome {
  ok: boolean;
  /** HTTP status, or null when no response arrived (timeout, refused, blocked address). */
  status: number | null;
  durationMs: number;
  /** Short description of what went wrong, null on success. */
  error: string | null;
  /** First 4 KB of the response body. */
  responseBody: string | null;
  /** Seconds or date from a `Retry-After` header, when present. */
  retryAfter: string | null;
  /** The URL the attempt ended at when it followed redirects (without credentials); null or absent when it did not. */
  finalUrl?: string | null;
}

/** A delivery's state after an attempt was recorded. */
export interface AttemptRecord extends DeliveryOutcome {
  deliveryId: string;
  webhookId: number;
  /** Which of Chatwoot's three webhook kinds the target is: an account webhook, an API inbox, an agent bot. */
  kind: TargetKind;
  accountId: number;
  event: string;
  attempt: number;
  trigger: AttemptTrigger;
  deliveryStatus: DeliveryStatus;
  nextAttemptAt: Date | null;
  attemptedAt: Date;
  /** When the event was recorded (its saving transaction's time); null if unknown. `attemptedAt - committedAt` of attempt 1 is the lag a receiver sees. */
  committedAt: Date | null;
}

/** Typed events the host can listen to on `webhooks.events`. */
export interface WebhooksEventMap {
  "delivery.succeeded": [AttemptRecord];
  /** The delivery failed for good (last attempt spent, or the address was refused). */
  "delivery.failed": [AttemptRecord];
  "delivery.retry_scheduled": [AttemptRecord];
  "webhook.disabled": [{ webhookId: number; accountId: number; reason: "gone" | "failing" }];
  /** Something went wrong in the dispatcher loop itself (database down...); it keeps going. */
  "dispatcher.error": [Error];
}

export type WebhooksEvents = EventEmitter<WebhooksEventMap>;

/** Shared by the router, the subscribers and the dispatcher of one `createWebhooks()` call. */
export interface WebhooksContext {
  options: ResolvedOptions;
  events: WebhooksEvents;
  /** One manual attempt of a delivery now, same id and body; resolves when it is recorded. */
  redeliver(deliveryId: string): Promise<AttemptRecord>;
  /** Runs bulk recoveries' batches; the recover routes kick it (absent: nothing runs them here). */
  recoveries?: RecoveryRunner;
}
