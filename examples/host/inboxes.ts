import type { RequestHandler } from "express";
import type { DataSource } from "typeorm";
import { Inbox } from "../../src";
import { memberOf } from "./auth";

/** `GET /accounts/:account_id/inboxes`: the account's inboxes in Chatwoot's list shape (the settings page's inbox picker uses it). */
export function listInboxes(dataSource: DataSource): RequestHandler {
  return async (_req, res) => {
    const { accountId } = memberOf(res);
    const inboxes = await dataSource.getRepository(Inbox).find({ where: { accountId }, order: { id: "ASC" } });
    res.json({ payload: inboxes.map((inbox) => ({ id: inbox.id, name: inbox.name, channel_type: inbox.channelType, account_id: inbox.accountId })) });
  };
}
