import type { Request, RequestHandler, Response } from "express";
import type { DataSource } from "typeorm";
import { AuthError, ChannelApi, Inbox, isAcceptedTargetUrl } from "../../src";
import { memberOf } from "./auth";
import { notFound, unprocessable } from "./http-errors";
import { bodyObject, optionalString, pathId } from "./params";

/** Which target addresses the host accepts for an API channel's `webhook_url` (the library's policy). */
export interface AddressPolicy {
  allowPrivateNetwork: boolean;
  allowedCidrs: string[];
}

/**
 * An inbox as Chatwoot's `_inbox.json.jbuilder` renders it for an administrator: the common keys
 * (with Chatwoot's empty values for what this app does not model), then, for an API channel,
 * `hmac_token`, `webhook_url`, `inbox_identifier`, `additional_attributes` and the signing `secret`.
 */
export function inboxDetailJson(inbox: Inbox, channel: ChannelApi | null, administrator: boolean): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: inbox.id,
    avatar_url: "",
    channel_id: inbox.channelId,
    name: inbox.name,
    channel_type: inbox.channelType,
    greeting_enabled: false,
    greeting_message: null,
    working_hours_enabled: false,
    enable_email_collect: true,
    csat_survey_enabled: false,
    enable_auto_assignment: true,
    out_of_office_message: null,
    working_hours: [],
    timezone: "UTC",
    callback_webhook_url: null,
    allow_messages_after_resolved: true,
    lock_to_single_conversation: false,
    sender_name_type: "friendly",
    business_name: null,
  };
  if (channel) {
    if (administrator) json.hmac_token = channel.hmacToken;
    json.webhook_url = channel.webhookUrl;
    json.inbox_identifier = channel.identifier;
    json.additional_attributes = channel.additionalAttributes ?? {};
    if (administrator) json.secret = channel.secret;
  }
  json.provider = null;
  return json;
}

/** `GET /accounts/:account_id/inboxes`: `{"payload": [inbox, ...]}`, oldest first (the settings page's inbox picker uses it). */
export function listInboxes(dataSource: DataSource): RequestHandler {
  return async (_req, res) => {
    const { accountId, role } = memberOf(res);
    const inboxes = await dataSource.getRepository(Inbox).find({ where: { accountId }, order: { id: "ASC" } });
    const channels = await channelsOf(dataSource, inboxes);
    res.json({ payload: inboxes.map((inbox) => ({ ...inboxDetailJson(inbox, channels.get(inbox.id) ?? null, role === "administrator"), account_id: inbox.accountId })) });
  };
}

/**
 * `POST /accounts/:account_id/inboxes` body `{name, channel: {type: "api", webhook_url?}}` → the
 * inbox JSON. Administrators only, as in Chatwoot. The channel and the inbox are saved in one
 * transaction; the library's triggers start delivering the inbox's events to `webhook_url`.
 */
export function createInbox(dataSource: DataSource, policy: AddressPolicy): RequestHandler {
  return async (req: Request, res: Response) => {
    const { accountId } = requireAdministrator(res);
    const body = bodyObject(req.body);
    const name = optionalString(body, "name", 255)?.trim();
    if (!name) throw unprocessable("Name can't be blank");
    const channel = bodyObject(body.channel);
    if (channel.type !== "api") throw unprocessable("Channel type must be \"api\" (this app hosts API channels)");
    const webhookUrl = readWebhookUrl(channel, policy);
    const saved = await dataSource.transaction(async (manager) => {
      const api = await manager.save(manager.create(ChannelApi, { accountId, webhookUrl: webhookUrl ?? null }));
      const inbox = await manager.save(manager.create(Inbox, { accountId, name, channelType: "Channel::Api", channelId: api.id }));
      return { inbox, api };
    });
    res.json(inboxDetailJson(saved.inbox, saved.api, true));
  };
}

/** `PATCH /accounts/:account_id/inboxes/:id` body `{name?, channel?: {webhook_url}}` → the inbox JSON. */
export function updateInbox(dataSource: DataSource, policy: AddressPolicy): RequestHandler {
  return async (req: Request, res: Response) => {
    const { accountId } = requireAdministrator(res);
    const inbox = await dataSource.getRepository(Inbox).findOneBy({ id: pathId(req.params.id), accountId });
    if (!inbox) throw notFound();
    const body = bodyObject(req.body);
    const name = optionalString(body, "name", 255)?.trim();
    if (name !== undefined && name === "") throw unprocessable("Name can't be blank");
    const channelBody = body.channel === undefined ? null : bodyObject(body.channel);
    const webhookUrl = channelBody ? readWebhookUrl(channelBody, policy) : undefined;
    const saved = await dataSource.transaction(async (manager) => {
      if (name !== undefined && name !== inbox.name) {
        inbox.name = name;
        await manager.save(inbox);
      }
      const api = inbox.channelType === "Channel::Api" && inbox.channelId !== null ? await manager.findOneBy(ChannelApi, { id: inbox.channelId }) : null;
      if (webhookUrl !== undefined) {
        if (!api) throw unprocessable("Only an API channel has a webhook_url");
        api.webhookUrl = webhookUrl;
        await manager.save(api);
      }
      return api;
    });
    res.json(inboxDetailJson(inbox, saved, true));
  };
}

function requireAdministrator(res: Response) {
  const member = memberOf(res);
  if (member.role !== "administrator") throw AuthError.notAdministrator(member.role);
  return member;
}

/** `webhook_url`: absent (undefined), cleared (`""` or null → null), or an accepted URL; Chatwoot's 422 otherwise. */
function readWebhookUrl(channel: Record<string, unknown>, policy: AddressPolicy): string | null | undefined {
  if (!Object.hasOwn(channel, "webhook_url")) return undefined;
  const value = channel.webhook_url;
  if (value === null || value === "") return null;
  if (!isAcceptedTargetUrl(value, policy)) throw unprocessable("Webhook url is invalid");
  return value;
}

async function channelsOf(dataSource: DataSource, inboxes: Inbox[]): Promise<Map<number, ChannelApi>> {
  const ids = inboxes.filter((inbox) => inbox.channelType === "Channel::Api" && inbox.channelId !== null).map((inbox) => inbox.channelId as number);
  if (ids.length === 0) return new Map();
  const channels = await dataSource.getRepository(ChannelApi).createQueryBuilder("c").where("c.id = ANY(:ids)", { ids }).getMany();
  const byId = new Map(channels.map((channel) => [channel.id, channel]));
  return new Map(inboxes.flatMap((inbox) => (inbox.channelId !== null && byId.has(inbox.channelId) ? [[inbox.id, byId.get(inbox.channelId) as ChannelApi]] : [])));
}
