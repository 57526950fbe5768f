import { Router, type RequestHandler } from "express";
import type { QueryDeepPartialEntity } from "typeorm";
import type { WebhooksContext } from "../context";
import { Webhook, WebhookDelivery } from "../entities";
import { NotFoundError, ValidationError } from "../errors";
import { generateSecret } from "../security/secret";
import { DEFAULT_SUBSCRIPTIONS } from "../types";
import { callerOf } from "./auth";
import { parseId } from "../ids";
import { FOREIGN_KEY_VIOLATION, postgresErrorOf, UNIQUE_VIOLATION } from "./postgres-error";
import { resolveWebhookChanges, type WebhookChanges } from "./webhook-changes";
import { webhookJson } from "./webhook-json";
import { MESSAGES } from "./webhook-messages";
import { findWebhook, listWebhooks } from "./webhook-queries";

const URL_INDEX = "index_webhooks_on_account_id_and_url";
/** The advisory lock class of webhook creation per account (any constant of the library's own). */
const WEBHOOK_LIMIT_LOCK = 0x63770001;

/** Chatwoot has no such limit; its record-level errors read like this one (`base`, full message only). */
function webhookLimitReached(max: number): ValidationError {
  return new ValidationError([{ attribute: "base", message: `Account has reached the limit of ${max} webhooks`, reason: "delete a webhook first, or raise the maxWebhooksPerAccount option" }]);
}

/**
 * Chatwoot's webhook routes, relative to `/accounts/:account_id/webhooks`: list, create, update
 * (PATCH and PUT, both partial), delete, plus a GET of one webhook (ours). The caller has passed
 * `requireAdministrator` already; every query is scoped to the caller's account.
 */
export function webhooksRoutes(ctx: WebhooksContext): Router {
  const { dataSource } = ctx.options;
  const router = Router({ mergeParams: true });

  router.get("/", async (_req, res) => {
    const webhooks = await listWebhooks(dataSource, callerOf(res).accountId);
    res.json({ payload: { webhooks: webhooks.map(webhookJson) } });
  });

  router.post("/", async (req, res) => {
    const { accountId } = callerOf(res);
    const changes = await resolveWebhookChanges(ctx, accountId, req.body, null);
    const enabled = changes.enabled ?? true;
    const inserted = await dataSource.transaction(async (manager) => {
      // One account's creations one at a time, so two concurrent ones cannot both take the last place.
      await manager.query("SELECT pg_advisory_xact_lock($1, $2)", [WEBHOOK_LIMIT_LOCK, accountId]);
      const count = await manager.getRepository(Webhook).countBy({ accountId, webhookType: 0 });
      if (count >= ctx.options.maxWebhooksPerAccount) throw webhookLimitReached(ctx.options.maxWebhooksPerAccount);
      return manager
        .getRepository(Webhook)
        .insert({
          accountId,
          url: changes.url,
          name: changes.name ?? null,
          subscriptions: changes.subscriptions ?? [...DEFAULT_SUBSCRIPTIONS],
          inboxId: changes.inboxId ?? null,
          webhookType: 0,
          secret: generateSecret(),
          enabled,
          disabledReason: enabled ? null : "manual",
          ordered: changes.ordered ?? false,
        })
        .catch(rethrowAsClientError);
    });
    res.json({ payload: { webhook: webhookJson(await mustFind(accountId, Number(inserted.identifiers[0].id))) } });
  });

  router.get("/:id", async (req, res) => {
    const { accountId } = callerOf(res);
    res.json({ payload: { webhook: webhookJson(await mustFind(accountId, parseId(req.params.id))) } });
  });

  const update: RequestHandler = async (req, res) => {
    const { accountId } = callerOf(res);
    const existing = await mustFind(accountId, parseId(req.params.id));
    const changes = await resolveWebhookChanges(ctx, accountId, req.body, existing);
    const set = updateSet(changes);
    if (Object.keys(set).length > 0) {
      const result = await dataSource
        .createQueryBuilder()
        .update(Webhook)
        .set(set)
        .where({ id: existing.id, accountId })
        .execute()
        .catch(rethrowAsClientError);
      if (result.affected === 0) throw new NotFoundError();
    }
    // Ordering switched off: what waits in order is released at once (switched on, it applies to
    // deliveries fanned out from now on).
    if (changes.ordered === false && existing.ordered) {
      await dataSource
        .createQueryBuilder()
        .update(WebhookDelivery)
        .set({ orderingKey: null })
        .where("webhook_id = :id AND status = 'pending' AND ordering_key IS NOT NULL", { id: existing.id })
        .execute();
    }
    res.json({ payload: { webhook: webhookJson(await mustFind(accountId, existing.id)) } });
  };
  router.patch("/:id", update);
  router.put("/:id", update);

  router.delete("/:id", async (req, res) => {
    const { accountId } = callerOf(res);
    const id = parseId(req.params.id);
    if (id === null) throw new NotFoundError();
    const result = await dataSource.createQueryBuilder().delete().from(Webhook).where({ id, accountId }).execute();
    if (result.affected === 0) throw new NotFoundError();
    res.status(200).end();
  });

  async function mustFind(accountId: number, id: number | null): Promise<Webhook> {
    const webhook = id === null ? null : await findWebhook(dataSource, accountId, id);
    if (!webhook) throw new NotFoundError();
    return webhook;
  }

  return router;
}

/**
 * The columns an update writes. Switching on clears why the webhook was off and its failure
 * streak, but only if it really was off; switching off records `manual`, but keeps `gone` or
 * `failing` when it was already off. Both decided on the row's current value, in the same UPDATE.
 */
function updateSet(changes: WebhookChanges): QueryDeepPartialEntity<Webhook> {
  const set: QueryDeepPartialEntity<Webhook> = {};
  if (changes.url !== undefined) set.url = changes.url;
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.subscriptions !== undefined) set.subscriptions = changes.subscriptions;
  if (changes.inboxId !== undefined) set.inboxId = changes.inboxId;
  if (changes.ordered !== undefined) set.ordered = changes.ordered;
  if (changes.enabled === true) {
    set.enabled = true;
    set.disabledReason = () => "CASE WHEN enabled THEN disabled_reason ELSE NULL END";
    set.failingSince = () => "CASE WHEN enabled THEN failing_since ELSE NULL END";
  } else if (changes.enabled === false) {
    set.enabled = false;
    set.disabledReason = () => "CASE WHEN enabled THEN 'manual' ELSE disabled_reason END";
  }
  return set;
}

/** A write that lost a race: the URL was taken, or the inbox deleted, after the checks passed. */
function rethrowAsClientError(error: unknown): never {
  const pg = postgresErrorOf(error);
  if (pg?.code === UNIQUE_VIOLATION && pg.constraint === URL_INDEX) {
    throw new ValidationError([{ attribute: "url", message: MESSAGES.urlTaken }]);
  }
  if (pg?.code === FOREIGN_KEY_VIOLATION && pg.detail?.includes("(inbox_id)")) {
    throw new ValidationError([{ attribute: "inbox_id", message: MESSAGES.inboxInvalid }]);
  }
  // "program limit exceeded" (e.g. an index row too large): the URL is what can grow that big.
  if (pg?.code?.startsWith("54")) {
    throw new ValidationError([{ attribute: "url", message: MESSAGES.urlInvalid }]);
  }
  throw error;
}
