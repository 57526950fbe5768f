import { Router, type Request, type Response } from "express";
import type { WebhooksContext } from "../context";
import type { WebhookDelivery } from "../entities";
import { NotFoundError, TooManyRequestsError } from "../errors";
import type { RateLimit } from "./rate-limit";
import { callerOf } from "./auth";
import { parseDeliveryListQuery } from "./delivery-list-query";
import { attemptRecordJson, deliveryDetailJson, deliveryJson } from "./delivery-json";
import { findDelivery, findWaitingFor, listAttempts, listDeliveries, targetIdsOf, type LogOwner } from "./delivery-queries";
import { parseId, parseUuid } from "../ids";

/**
 * A delivery log (delivery.md §5) under a path that names its owner: `GET /:<param>/deliveries`,
 * `GET /:<param>/deliveries/:delivery_id` and `POST /:<param>/deliveries/:delivery_id/redeliver`,
 * for account webhooks (`/webhooks/:webhook_id`), API inboxes (`/inboxes/:inbox_id`) and agent
 * bots (`/agent_bots/:agent_bot_id`). An owner of another account, or a delivery of another
 * owner, is a 404, decided before anything is read or sent.
 */
export function deliveriesRoutes(ctx: WebhooksContext, param: string, kind: LogOwner["kind"], redeliveries: RateLimit): Router {
  const { dataSource } = ctx.options;
  const router = Router({ mergeParams: true });

  /** The owner's target rows in the caller's account; a 404 when there are none. */
  async function targets(req: Request, res: Response): Promise<{ accountId: number; webhookIds: number[] }> {
    const { accountId } = callerOf(res);
    const id = parseId(req.params[param]);
    const webhookIds = id === null ? [] : await targetIdsOf(dataSource, accountId, { kind, id });
    if (webhookIds.length === 0) throw new NotFoundError();
    return { accountId, webhookIds };
  }

  router.get(`/:${param}/deliveries`, async (req, res) => {
    const { accountId, webhookIds } = await targets(req, res);
    const { status, page, perPage } = parseDeliveryListQuery(req.query as Record<string, unknown>);
    const { deliveries, count } = await listDeliveries(dataSource, { accountId, webhookIds, status, page, perPage });
    res.json({ payload: { deliveries: deliveries.map(deliveryJson) }, meta: { page, per_page: perPage, count } });
  });

  router.get(`/:${param}/deliveries/:delivery_id`, async (req, res) => {
    const delivery = await mustFindDelivery(req, res);
    const [attempts, waitingFor] = await Promise.all([listAttempts(dataSource, delivery.id), findWaitingFor(dataSource, delivery)]);
    res.json({ payload: { delivery: deliveryDetailJson(delivery, attempts, waitingFor) } });
  });

  router.post(`/:${param}/deliveries/:delivery_id/redeliver`, async (req, res) => {
    const delivery = await mustFindDelivery(req, res);
    const wait = redeliveries.take(delivery.accountId);
    if (wait !== null) {
      throw new TooManyRequestsError(`Too many redeliveries: at most ${ctx.options.redeliveriesPerMinute} a minute per account; try again in ${wait} s.`, wait);
    }
    const record = await ctx.redeliver(delivery.id);
    res.json({ payload: { attempt: attemptRecordJson(record) } });
  });

  async function mustFindDelivery(req: Request, res: Response): Promise<WebhookDelivery> {
    const deliveryId = parseUuid(req.params.delivery_id);
    const { accountId, webhookIds } = await targets(req, res);
    const delivery = deliveryId === null ? null : await findDelivery(dataSource, accountId, webhookIds, deliveryId);
    if (!delivery) throw new NotFoundError();
    return delivery;
  }

  return router;
}
