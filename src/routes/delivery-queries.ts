import type { DataSource } from "typeorm";
import { Webhook, WebhookAttempt, WebhookDelivery } from "../entities";
import type { DeliveryStatus } from "../types";

/** One page of a webhook's delivery log and the number of deliveries matching the filter. */
export interface DeliveryPage {
  deliveries: WebhookDelivery[];
  count: number;
}

/** Whether the webhook exists and belongs to the account. */
export function isWebhookOfAccount(dataSource: DataSource, accountId: number, webhookId: number): Promise<boolean> {
  return dataSource.createQueryBuilder(Webhook, "webhook").where("webhook.id = :webhookId AND webhook.accountId = :accountId", { webhookId, accountId }).getExists();
}

/** A webhook's deliveries, newest first, optionally only those in one status. */
export async function listDeliveries(
  dataSource: DataSource,
  filter: { accountId: number; webhookId: number; status: DeliveryStatus | null; page: number; perPage: number },
): Promise<DeliveryPage> {
  const query = dataSource
    .createQueryBuilder(WebhookDelivery, "delivery")
    .where("delivery.webhookId = :webhookId AND delivery.accountId = :accountId", filter);
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
 * One delivery of the webhook in the path, with its event (for the frozen body), or null. A
 * delivery of another webhook or another account is as unknown as a missing one.
 */
export function findDelivery(dataSource: DataSource, accountId: number, webhookId: number, deliveryId: string): Promise<WebhookDelivery | null> {
  return dataSource
    .createQueryBuilder(WebhookDelivery, "delivery")
    .innerJoin(Webhook, "webhook", "webhook.id = delivery.webhookId AND webhook.accountId = :accountId", { accountId })
    .leftJoinAndSelect("delivery.webhookEvent", "event")
    .where("delivery.id = :deliveryId AND delivery.webhookId = :webhookId AND delivery.accountId = :accountId", { deliveryId, webhookId, accountId })
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
