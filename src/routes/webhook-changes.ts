import type { WebhooksContext } from "../context";
import type { Webhook } from "../entities";
import { ValidationError } from "../errors";
import type { WebhookEventName } from "../types";
import { readWebhookParams, toInboxId, validateWebhookInput, type FieldFailure } from "./webhook-input";
import { MESSAGES, WEBHOOK_ATTRIBUTES } from "./webhook-messages";
import { isInboxOfAccount, isUrlTaken } from "./webhook-queries";
import { isAcceptedTargetUrl, PRIVATE_ADDRESS_REASON } from "./target-url";

/** What a valid create or update request sets; absent keys stay as they are. */
export interface WebhookChanges {
  url?: string;
  name?: string | null;
  /** Duplicates dropped, first occurrences kept in order. */
  subscriptions?: WebhookEventName[];
  inboxId?: number | null;
  enabled?: boolean;
  ordered?: boolean;
}

/**
 * Read and validate a create (`existing` null) or update request body into the changes to write.
 * Shape first (class-validator), then the rules that need the policy or the database: a literal
 * private address, a URL the account already uses, an inbox of another account. Every failure is
 * collected and thrown as one `ValidationError`, in the order url, name, subscriptions, inbox, enabled.
 */
export async function resolveWebhookChanges(ctx: WebhooksContext, accountId: number, body: unknown, existing: Webhook | null): Promise<WebhookChanges> {
  const params = readWebhookParams(body);
  const { input, failures } = await validateWebhookInput(params, existing ? "update" : "create");
  const failed = (attribute: FieldFailure["attribute"]) => failures.some((failure) => failure.attribute === attribute);
  const { dataSource, allowPrivateNetwork, allowedCidrs } = ctx.options;

  if (input.url !== undefined && !failed("url")) {
    // A literal forbidden address (or localhost) fails now; other host names are checked on every attempt.
    if (!isAcceptedTargetUrl(input.url, { allowPrivateNetwork, allowedCidrs })) {
      failures.push({ attribute: "url", message: MESSAGES.urlInvalid, reason: PRIVATE_ADDRESS_REASON });
    } else if (await isUrlTaken(dataSource, accountId, input.url as string, existing?.id ?? null)) {
      failures.push({ attribute: "url", message: MESSAGES.urlTaken });
    }
  }
  const inboxId = input.inbox_id === undefined || input.inbox_id === null ? input.inbox_id : toInboxId(input.inbox_id);
  if (typeof inboxId === "number" && !failed("inbox_id") && !(await isInboxOfAccount(dataSource, accountId, inboxId))) {
    failures.push({ attribute: "inbox_id", message: MESSAGES.inboxInvalid });
  }
  if (failures.length > 0) {
    failures.sort((a, b) => WEBHOOK_ATTRIBUTES.indexOf(a.attribute) - WEBHOOK_ATTRIBUTES.indexOf(b.attribute));
    throw new ValidationError(failures);
  }

  const changes: WebhookChanges = {};
  if (input.url !== undefined) changes.url = input.url as string;
  if (input.name !== undefined) changes.name = input.name as string | null;
  if (Array.isArray(input.subscriptions)) changes.subscriptions = [...new Set(input.subscriptions as WebhookEventName[])];
  if (inboxId !== undefined) changes.inboxId = inboxId;
  if (input.enabled !== undefined) changes.enabled = input.enabled as boolean;
  if (input.ordered !== undefined) changes.ordered = input.ordered as boolean;
  return changes;
}
