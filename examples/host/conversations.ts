import { randomUUID } from "node:crypto";
import type { Request, Response } from "express";
import { MoreThan, Not, type DataSource, type EntityManager } from "typeorm";
import { AccountUser, Attachment, Contact, ContactInbox, Conversation, Inbox, Message, User, type ConversationStatus } from "../../src";
import { assertBotInInbox, memberOf } from "./auth";
import { randomToken } from "../random-token";
import { notFound, unprocessable } from "./http-errors";
import { bodyObject, optionalObject, optionalString, pathId, requiredId } from "./params";
import { senderOf } from "./messages";
import { agentJson, conversationDetailJson, conversationJson, messagePushJson } from "./serializers";

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

/** Chatwoot counts a conversation's unread incoming messages up to this many. */
const UNREAD_COUNT_LIMIT = 10;

/**
 * `GET /accounts/:account_id/conversations/:conversation_id` (the display id): the conversation as
 * Chatwoot's conversation view renders it, with its last message, its last non-activity message
 * and its unread count (incoming messages since an agent last looked, counted up to 10 as Chatwoot
 * does). Another account's conversation or an unknown id is a 404.
 */
export function showConversation(dataSource: DataSource) {
  return async (req: Request, res: Response) => {
    const { accountId } = memberOf(res);
    const manager = dataSource.manager;
    const conversation = await manager.findOneBy(Conversation, { accountId, displayId: pathId(req.params.conversation_id) });
    if (!conversation) throw notFound();
    const contact = await manager.findOneBy(Contact, { id: conversation.contactId });
    const inbox = await manager.findOneBy(Inbox, { id: conversation.inboxId });
    if (!contact || !inbox) throw notFound();
    const contactInbox = conversation.contactInboxId === null ? null : await manager.findOneBy(ContactInbox, { id: conversation.contactInboxId });

    const unread = await manager.count(Message, {
      where: { conversationId: conversation.id, messageType: "incoming", ...(conversation.agentLastSeenAt ? { createdAt: MoreThan(conversation.agentLastSeenAt) } : {}) },
    });
    const unreadCount = Math.min(unread, UNREAD_COUNT_LIMIT);
    const push = async (message: Message | null) => {
      if (!message) return null;
      const attachments = await manager.find(Attachment, { where: { messageId: message.id }, order: { id: "ASC" } });
      const sender = await senderOf(manager, message.senderType, message.senderId);
      return messagePushJson(message, conversation, contactInbox, unreadCount, sender, attachments);
    };
    const last = await manager.findOne(Message, { where: { conversationId: conversation.id }, order: { id: "DESC" } });
    const lastNonActivity = await manager.findOne(Message, { where: { conversationId: conversation.id, messageType: Not("activity") }, order: { id: "DESC" } });
    res.json(
      conversationDetailJson(conversation, contact, inbox, contactInbox, {
        lastMessage: await push(last),
        lastNonActivityMessage: await push(lastNonActivity),
        unreadCount,
        assignee: await assigneeOf(manager, conversation),
      }),
    );
  };
}

async function assigneeOf(manager: EntityManager, conversation: Conversation): Promise<Record<string, unknown> | null> {
  if (conversation.assigneeId === null) return null;
  const user = await manager.findOneBy(User, { id: conversation.assigneeId });
  const membership = await manager.findOneBy(AccountUser, { accountId: conversation.accountId, userId: conversation.assigneeId });
  return user && membership ? agentJson(user, conversation.accountId, membership.role) : null;
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
