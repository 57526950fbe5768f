import type { AttemptRecord, DeliveryOutcome } from "../context";
import type { AttemptTrigger, DeliveryStatus } from "../types";
import { nextAttemptAt } from "./retry-schedule";
import { isAddressRefusal } from "./send";
import { isBotRetryable, targetKind } from "./target-kind";

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
  /** The target's `webhook_type` (0 account, 1 API inbox, 2 agent bot); absent means 0. */
  kind?: number | null;
  /** The event's subject row id (the message of a message event). */
  subject_id?: number | null;
  /** When the event was recorded (its transaction's time): what commit-to-attempt lag is measured from. */
  committed_at?: Date | null;
  /** An ordered webhook's key (`conversation:<id>`); null for unordered ones. */
  ordering_key?: string | null;
}

export interface Policy {
  /** Delays before attempts 2, 3, ... of account webhooks and API inboxes. */
  schedule: readonly number[];
  /** The same for agent bots (no jitter; only {@link isBotRetryable} failures are retried). */
  botSchedule: readonly number[];
  jitter: number;
  random: () => number;
}

/** What {@link judge} returns: the attempt as recorded, plus what the recorder acts on. */
export type JudgedAttempt = AttemptRecord & { gone: boolean; subjectId: number | null; orderingKey: string | null };

/**
 * What an attempt's outcome means for its delivery (pure). A 2xx completes it. A scheduled
 * attempt that fails is retried by its kind's schedule, or fails for good when the schedule is
 * spent, on a refused address, on `410 Gone` to an account webhook (which also disables it:
 * `gone`), and on an agent bot's answer that is not worth retrying (see `isBotRetryable`). A manual
 * attempt that fails changes nothing but the log: the status and schedule stay as they were.
 */
export function judge(delivery: AttemptedDelivery, outcome: DeliveryOutcome, attemptedAt: Date, trigger: AttemptTrigger, now: Date, policy: Policy): JudgedAttempt {
  const attempt = delivery.attempts + 1;
  const kind = targetKind(delivery.kind);
  // Only an account webhook is switched off by a 410; the other kinds belong to their inbox or bot.
  const gone = outcome.status === 410 && kind === "account";
  const bot = kind === "agent_bot";
  let deliveryStatus: DeliveryStatus;
  let next: Date | null = null;
  if (outcome.ok) deliveryStatus = "succeeded";
  else if (trigger === "manual") {
    deliveryStatus = delivery.status;
    next = delivery.status === "pending" ? delivery.next_attempt_at : null;
  } else if (gone || isAddressRefusal(outcome) || (bot && !isBotRetryable(outcome))) deliveryStatus = "failed";
  else {
    const schedule = bot ? policy.botSchedule : policy.schedule;
    next = nextAttemptAt({ attempt, schedule, now, jitter: bot ? 0 : policy.jitter, random: policy.random, status: outcome.status, retryAfter: outcome.retryAfter });
    deliveryStatus = next ? "pending" : "failed";
  }
  return {
    ...outcome,
    deliveryId: delivery.id,
    webhookId: delivery.webhook_id,
    kind,
    accountId: delivery.account_id,
    event: delivery.event,
    attempt,
    trigger,
    deliveryStatus,
    nextAttemptAt: next,
    attemptedAt,
    committedAt: delivery.committed_at ?? null,
    gone,
    subjectId: delivery.subject_id ?? null,
    orderingKey: delivery.ordering_key ?? null,
  };
}
