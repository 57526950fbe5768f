import type { DeliveryOutcome } from "../context";

/**
 * Chatwoot's three webhook kinds, as `webhooks.webhook_type` stores them: account webhooks (0,
 * the management API's), API-channel inboxes (1) and agent bots (2).
 */
export type TargetKind = "account" | "inbox" | "agent_bot";

const KINDS: readonly TargetKind[] = ["account", "inbox", "agent_bot"];

/** The kind of a `webhook_type` value; unknown values are treated as account webhooks. */
export function targetKind(webhookType: number | null | undefined): TargetKind {
  return KINDS[webhookType ?? 0] ?? "account";
}

/**
 * Whether an agent bot's failed attempt is worth another quick try. Chatwoot retries only 429
 * and 500; a 5xx of any kind, a timeout and a dropped connection are just as passing, so they are
 * retried too. Other 4xx (a 404 above all) mean the bot will not take the event: no retry.
 */
export function isBotRetryable(outcome: DeliveryOutcome): boolean {
  if (outcome.status === null) return true;
  return outcome.status === 429 || outcome.status >= 500;
}
