import type { AttemptRecord, DeliveryOutcome } from "../context";
import type { AttemptTrigger, DeliveryStatus } from "../types";
import { nextAttemptAt } from "./retry-schedule";
import { isAddressRefusal } from "./send";

/** The delivery as it was when the attempt was claimed. */
export interface AttemptedDelivery {
  id: string;
  webhook_id: number;
  account_id: number;
  event: string;
  /** Scheduled attempts made before this one. */
  attempts: number;
  status: DeliveryStatus;
  next_attempt_at: Date | null;
}

export interface Policy {
  schedule: readonly number[];
  jitter: number;
  random: () => number;
}

/**
 * What an attempt's outcome means for its delivery (pure). A 2xx completes it. A scheduled
 * attempt that fails is retried by the schedule, or fails for good when the schedule is spent,
 * on `410 Gone` (which also disables the webhook: `gone`) and on a refused address. A manual
 * attempt that fails changes nothing but the log: the status and schedule stay as they were.
 */
export function judge(delivery: AttemptedDelivery, outcome: DeliveryOutcome, attemptedAt: Date, trigger: AttemptTrigger, now: Date, policy: Policy): AttemptRecord & { gone: boolean } {
  const attempt = delivery.attempts + 1;
  const gone = outcome.status === 410;
  let deliveryStatus: DeliveryStatus;
  let next: Date | null = null;
  if (outcome.ok) deliveryStatus = "succeeded";
  else if (trigger === "manual") {
    deliveryStatus = delivery.status;
    next = delivery.status === "pending" ? delivery.next_attempt_at : null;
  } else if (gone || isAddressRefusal(outcome)) deliveryStatus = "failed";
  else {
    next = nextAttemptAt({ attempt, schedule: policy.schedule, now, jitter: policy.jitter, random: policy.random, status: outcome.status, retryAfter: outcome.retryAfter });
    deliveryStatus = next ? "pending" : "failed";
  }
  return {
    ...outcome,
    deliveryId: delivery.id,
    webhookId: delivery.webhook_id,
    accountId: delivery.account_id,
    event: delivery.event,
    attempt,
    trigger,
    deliveryStatus,
    nextAttemptAt: next,
    attemptedAt,
    gone,
  };
}
