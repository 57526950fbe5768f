import { randomUUID } from "node:crypto";
import type { Request, Response } from "express";
import type { DataSource } from "typeorm";
import { Contact, ContactInbox, Conversation, Inbox, type ConversationStatus } from "../../src";
import { assertBotInInbox, memberOf } from "./auth";
import { randomToken } from "../random-token";
import { notFound, unprocessable } from "./http-errors";
import { bodyObject, optionalObject, optionalString, pathId, requiredId } from "./params";
import { conversationJson } from "./serializers";

const STATUSES: readonly ConversationStatus[] = ["open", "resolved", "pending", "snoozed"];

/**
 * `POST /accounts/:account_id/conversations` body `{contact_id, inbox_id, additional_attributes?,
 * status?}`: links the contact to the inbox when it is not yet, then saves the conversation
 * (the library turns the insert into `conversation_created`).
 */
export function createConversation(dataSource: DataSource) {
  return async (req: Request, res: Response) => {
    const { accountId } = memberOf(res);
    const body = bodyObject(req.body);
    const contactId = requiredId(body, "contact_id");
    const inboxId = requiredId(body, "inbox_id");
    const additionalAttributes = optionalObject(body, "additional_attributes") ?? {};
    const status = optionalStatus(body) ?? "open";

    const contact = await dataSource.getRepository(Contact).findOneBy({ id: contactId, accountId });
    const inbox = await dataSource.getRepository(Inbox).findOneBy({ id: inboxId, accountId });
    if (!contact || !inbox) throw notFound();

    const { conversation, contactInbox } = await dataSource.transaction(async (manager) => {
      const contactInbox =
        (await manager.findOne(ContactInbox, { where: { contactId, inboxId }, order: { id: "ASC" } })) ??
        (await manager.save(ContactInbox, manager.create(ContactInbox, { contactId, inboxId, sourceId: randomUUID(), pubsubToken: randomToken() })));
      const conversation = await manager.save(
        Conversation,
        manager.create(Conversation, { accountId, inboxId, contactId, contactInboxId: contactInbox.id, status, additionalAttributes }),
      );
      return { conversation, contactInbox };
    });
    res.json(conversationJson(conversation, contact, inbox, contactInbox));
  };
}

/**
 * `POST /accounts/:account_id/conversations/:conversation_id/toggle_status` body `{status}`.
 * Without a status it toggles between open and resolved, as Chatwoot does. Saving a changed
 * status is what produces `conversation_status_changed` and `conversation_updated`.
 */
export function toggleStatus(dataSource: DataSource) {
  return async (req: Request, res: Response) => {
    const member = memberOf(res);
    const repository = dataSource.getRepository(Conversation);
    const conversation = await repository.findOneBy({ accountId: member.accountId, displayId: pathId(req.params.conversation_id) });
    if (!conversation) throw notFound();
    await assertBotInInbox(dataSource, member, conversation.inboxId);
    const body = bodyObject(req.body);
    const status = optionalStatus(body) ?? (conversation.status === "open" ? "resolved" : "open");
    const snoozedUntil = status === "snoozed" ? optionalUnixTime(body, "snoozed_until") : null;

    conversation.status = status;
    conversation.snoozedUntil = snoozedUntil;
    const saved = await repository.save(conversation);
    res.json({
      meta: {},
      payload: {
        success: true,
        conversation_id: saved.displayId,
        current_status: saved.status,
        snoozed_until: saved.snoozedUntil ? Math.floor(saved.snoozedUntil.getTime() / 1000) : null,
      },
    });
  };
}

function optionalStatus(body: Record<string, unknown>): ConversationStatus | undefined {
  const status = optionalString(body, "status", 32);
  if (status === undefined) return undefined;
  if (!STATUSES.includes(status as ConversationStatus)) throw unprocessable(`status must be one of ${STATUSES.join(", ")}`);
  return status as ConversationStatus;
}

function optionalUnixTime(body: Record<string, unknown>, key: string): Date | null {
  const value = body[key];
  if (value === undefined || value === null || value === "") return null;
  const seconds = typeof value === "string" && /^\d{1,12}$/.test(value) ? Number(value) : value;
  if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < 0 || seconds > 253402300799) {
    throw unprocessable(`${key} must be a Unix time in seconds`);
  }
  return new Date(seconds * 1000);
}
