import type { DataSource } from "typeorm";
import { Webhook, WebhookAttempt, WebhookDelivery } from "../entities";
import type { DeliveryStatus } from "../types";

/** One page of a delivery log and the number of deliveries matching the filter. */
export interface DeliveryPage {
  deliveries: WebhookDelivery[];
  count: number;
}

/**
 * Whose delivery log a path names, as the `webhooks` rows behind it: an account webhook (kind 0,
 * by id), an API inbox (its kind-1 row, by inbox id) or an agent bot (its kind-2 rows, one per
 * connected inbox, by bot id). Always within the caller's account.
 */
export type LogOwner = { kind: "webhook"; id: number } | { kind: "inbox"; id: number } | { kind: "agent_bot"; id: number };

/** The `webhooks` row ids behind a log owner in the account: empty when it has none (or is another account's). */
export async function targetIdsOf(dataSource: DataSource, accountId: number, owner: LogOwner): Promise<number[]> {
  const query = dataSource.createQueryBuilder(Webhook, "webhook").select("webhook.id", "id").where("webhook.accountId = :accountId", { accountId });
  if (owner.kind === "webhook") query.andWhere("webhook.id = :id AND webhook.webhookType = 0", { id: owner.id });
  else if (owner.kind === "inbox") query.andWhere("webhook.inboxId = :id AND webhook.webhookType = 1", { id: owner.id });
  else query.andWhere("webhook.agentBotId = :id AND webhook.webhookType = 2", { id: owner.id });
  const rows = await query.getRawMany<{ id: number }>();
  return rows.map((row) => Number(row.id));
}

/** Deliveries to these targets, newest first, optionally only those in one status. */
export async function listDeliveries(
  dataSource: DataSource,
  filter: { accountId: number; webhookIds: number[]; status: DeliveryStatus | null; page: number; perPage: number },
): Promise<DeliveryPage> {
  const query = dataSource
    .createQueryBuilder(WebhookDelivery, "delivery")
    .where("delivery.webhookId = ANY(:webhookIds) AND delivery.accountId = :accountId", filter);
  if (filter.status !== null) query.andWhere("delivery.status = :status", { status: filter.status });
  const [deliveries, count] = await query
    .orderBy("delivery.createdAt", "DESC")
    .addOrderBy("delivery.id", "DESC")
    .offset((filter.page - 1) * filter.perPage)
    .limit(filter.perPage)
    .getManyAndCount();
  return { deliveries, count };
}

/**
 * One delivery to one of these targets, with its event (for the frozen body), or null. A
 * delivery of another target or another account is as unknown as a missing one.
 */
export function findDelivery(dataSource: DataSource, accountId: number, webhookIds: number[], deliveryId: string): Promise<WebhookDelivery | null> {
  return dataSource
    .createQueryBuilder(WebhookDelivery, "delivery")
    .innerJoin(Webhook, "webhook", "webhook.id = delivery.webhookId AND webhook.accountId = :accountId", { accountId })
    .leftJoinAndSelect("delivery.webhookEvent", "event")
    .where("delivery.id = :deliveryId AND delivery.webhookId = ANY(:webhookIds) AND delivery.accountId = :accountId", { deliveryId, webhookIds, accountId })
    .getOne();
}

/**
 * For a pending delivery of an ordered webhook: the earliest delivery of the same conversation (or
 * contact) still pending before it, which it waits for; null when it waits for nothing.
 */
export function findWaitingFor(dataSource: DataSource, delivery: WebhookDelivery): Promise<WebhookDelivery | null> {
  if (delivery.orderingKey === null || delivery.status !== "pending") return Promise.resolve(null);
  return dataSource
    .createQueryBuilder(WebhookDelivery, "earlier")
    .where("earlier.webhookId = :webhookId AND earlier.orderingKey = :key AND earlier.status = 'pending' AND earlier.eventId < :eventId", {
      webhookId: delivery.webhookId,
      key: delivery.orderingKey,
      eventId: delivery.eventId,
    })
    .orderBy("earlier.eventId", "ASC")
    .limit(1)
    .getOne();
}

/** Every attempt of a delivery, oldest first. */
export function listAttempts(dataSource: DataSource, deliveryId: string): Promise<WebhookAttempt[]> {
  return dataSource
    .createQueryBuilder(WebhookAttempt, "attempt")
    .where("attempt.deliveryId = :deliveryId", { deliveryId })
    .orderBy("attempt.attemptedAt", "ASC")
    .addOrderBy("attempt.id", "ASC")
    .getMany();
}
