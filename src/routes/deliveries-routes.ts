import { Router, type Response } from "express";
import type { WebhooksContext } from "../context";
import type { WebhookDelivery } from "../entities";
import { NotFoundError } from "../errors";
import { callerOf } from "./auth";
import { parseDeliveryListQuery } from "./delivery-list-query";
import { attemptRecordJson, deliveryDetailJson, deliveryJson } from "./delivery-json";
import { findDelivery, isWebhookOfAccount, listAttempts, listDeliveries } from "./delivery-queries";
import { parseId, parseUuid } from "./path-params";

/**
 * The delivery log (delivery.md §5), relative to `/accounts/:account_id/webhooks`:
 * `GET /:webhook_id/deliveries`, `GET /:webhook_id/deliveries/:delivery_id` and
 * `POST /:webhook_id/deliveries/:delivery_id/redeliver`. A webhook of another account, or a
 * delivery of another webhook, is a 404, decided before anything is read or sent.
 */
export function deliveriesRoutes(ctx: WebhooksContext): Router {
  const { dataSource } = ctx.options;
  const router = Router({ mergeParams: true });

  router.get("/:webhook_id/deliveries", async (req, res) => {
    const { accountId } = callerOf(res);
    const webhookId = parseId(req.params.webhook_id);
    if (webhookId === null || !(await isWebhookOfAccount(dataSource, accountId, webhookId))) throw new NotFoundError();
    const { status, page, perPage } = parseDeliveryListQuery(req.query as Record<string, unknown>);
    const { deliveries, count } = await listDeliveries(dataSource, { accountId, webhookId, status, page, perPage });
    res.json({ payload: { deliveries: deliveries.map(deliveryJson) }, meta: { page, per_page: perPage, count } });
  });

  router.get("/:webhook_id/deliveries/:delivery_id", async (req, res) => {
    const delivery = await mustFindDelivery(req.params as Record<string, string>, res);
    res.json({ payload: { delivery: deliveryDetailJson(delivery, await listAttempts(dataSource, delivery.id)) } });
  });

  router.post("/:webhook_id/deliveries/:delivery_id/redeliver", async (req, res) => {
    const delivery = await mustFindDelivery(req.params as Record<string, string>, res);
    const record = await ctx.redeliver(delivery.id);
    res.json({ payload: { attempt: attemptRecordJson(record) } });
  });

  async function mustFindDelivery(params: Record<string, string>, res: Response): Promise<WebhookDelivery> {
    const { accountId } = callerOf(res);
    const webhookId = parseId(params.webhook_id);
    const deliveryId = parseUuid(params.delivery_id);
    const delivery = webhookId === null || deliveryId === null ? null : await findDelivery(dataSource, accountId, webhookId, deliveryId);
    if (!delivery) throw new NotFoundError();
    return delivery;
  }

  return router;
}
