import type { AttemptRecord } from "../context";
import type { WebhookAttempt, WebhookDelivery } from "../entities";

/** A delivery in the log. Times are ISO-8601 UTC strings or null. */
export interface DeliveryJson {
  id: string;
  event: string;
  status: string;
  /** How many attempts were made so far. */
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  last_attempt_at: string | null;
  /** When it succeeded or failed for good; null while pending. */
  completed_at: string | null;
  /** An ordered webhook's delivery: what its order is kept within (`conversation:12`); null otherwise. */
  ordering_key: string | null;
}

/** One HTTP attempt, as the delivery detail lists it. */
export interface AttemptJson {
  id: number;
  attempted_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  /** The first 4 KB of the response body. */
  response_body: string | null;
  /** `scheduled` (by the retry schedule) or `manual` (redeliver). */
  trigger: string;
  /** Where the attempt ended when it followed redirects (never with credentials); null when it followed none. */
  final_url: string | null;
}

/** One delivery with the exact body sent (null until the dispatcher has built it) and every attempt. */
export interface DeliveryDetailJson extends DeliveryJson {
  /** The earlier delivery of its conversation this one waits for (ordered webhooks), or null. */
  waiting_for: { id: string; event: string; status: string; next_attempt_at: string | null; last_error: string | null } | null;
  body: string | null;
  attempts_log: AttemptJson[];
}

export function deliveryJson(delivery: WebhookDelivery): DeliveryJson {
  return {
    id: delivery.id,
    event: delivery.event,
    status: delivery.status,
    attempts: delivery.attempts,
    next_attempt_at: iso(delivery.nextAttemptAt),
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    created_at: delivery.createdAt.toISOString(),
    last_attempt_at: iso(delivery.lastAttemptAt),
    completed_at: iso(delivery.completedAt),
    ordering_key: delivery.orderingKey,
  };
}

export function deliveryDetailJson(delivery: WebhookDelivery, attempts: WebhookAttempt[], waitingFor: WebhookDelivery | null = null): DeliveryDetailJson {
  const waiting = waitingFor && { id: waitingFor.id, event: waitingFor.event, status: waitingFor.status, next_attempt_at: iso(waitingFor.nextAttemptAt), last_error: waitingFor.lastError };
  return { ...deliveryJson(delivery), waiting_for: waiting, body: delivery.webhookEvent?.body ?? null, attempts_log: attempts.map(attemptJson) };
}

export function attemptJson(attempt: WebhookAttempt): AttemptJson {
  return {
    id: Number(attempt.id),
    attempted_at: attempt.attemptedAt.toISOString(),
    duration_ms: attempt.durationMs,
    status_code: attempt.statusCode,
    error: attempt.error,
    response_body: attempt.responseBody,
    trigger: attempt.trigger,
    final_url: attempt.finalUrl ?? null,
  };
}

/** The outcome of a redelivery: an `AttemptRecord` with snake_case keys and ISO times. */
export function attemptRecordJson(record: AttemptRecord) {
  return {
    delivery_id: record.deliveryId,
    webhook_id: record.webhookId,
    account_id: record.accountId,
    event: record.event,
    attempt: record.attempt,
    trigger: record.trigger,
    ok: record.ok,
    status: record.status,
    duration_ms: record.durationMs,
    error: record.error,
    response_body: record.responseBody,
    retry_after: record.retryAfter,
    final_url: record.finalUrl ?? null,
    delivery_status: record.deliveryStatus,
    next_attempt_at: iso(record.nextAttemptAt),
    attempted_at: iso(record.attemptedAt),
  };
}

function iso(date: Date | null | undefined): string | null {
  return date ? new Date(date).toISOString() : null;
}
