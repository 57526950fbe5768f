import type { DataSource } from "typeorm";
import { Inbox, Webhook } from "../entities";

/**
 * The webhooks of one account (account webhooks only: the mirror rows of API inboxes and agent
 * bots are not the management API's), oldest first, each with its inbox when the inbox belongs to the
 * same account (a row written around the API must not show another account's inbox name).
 */
export function listWebhooks(dataSource: DataSource, accountId: number): Promise<Webhook[]> {
  return withInbox(dataSource).andWhere("webhook.accountId = :accountId", { accountId }).orderBy("webhook.id", "ASC").getMany();
}

/** One webhook of the account, or null: another account's id is as unknown as a missing one. */
export function findWebhook(dataSource: DataSource, accountId: number, id: number): Promise<Webhook | null> {
  return withInbox(dataSource).andWhere("webhook.id = :id AND webhook.accountId = :accountId", { id, accountId }).getOne();
}

/** Whether another webhook of the account already has this exact URL (the unique index's rule). */
export async function isUrlTaken(dataSource: DataSource, accountId: number, url: string, exceptId: number | null): Promise<boolean> {
  const query = dataSource.createQueryBuilder(Webhook, "webhook").where("webhook.accountId = :accountId AND webhook.url = :url AND webhook.webhookType = 0", { accountId, url });
  if (exceptId !== null) query.andWhere("webhook.id <> :exceptId", { exceptId });
  return query.getExists();
}

/** Whether the inbox exists and belongs to the account. */
export function isInboxOfAccount(dataSource: DataSource, accountId: number, inboxId: number): Promise<boolean> {
  return dataSource.createQueryBuilder(Inbox, "inbox").where("inbox.id = :inboxId AND inbox.accountId = :accountId", { inboxId, accountId }).getExists();
}

function withInbox(dataSource: DataSource) {
  return dataSource
    .createQueryBuilder(Webhook, "webhook")
    .leftJoinAndSelect("webhook.inbox", "inbox", "inbox.accountId = webhook.accountId")
    .where("webhook.webhookType = 0");
}
