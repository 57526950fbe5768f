import { extname } from "node:path";
import type { Request, Response } from "express";
import { In, type DataSource, type EntityManager } from "typeorm";
import { AgentBot, Attachment, Contact, Conversation, Message, User, type AttachmentFileType, type MessageType } from "../../src";
import { assertBotInInbox, memberOf } from "./auth";
import { uploadedFiles } from "./body-parser";
import { notFound, unprocessable } from "./http-errors";
import { bodyObject, isBlank, optionalBoolean, optionalObject, optionalString, pathId } from "./params";
import { contactSender, messageJson, messagesMetaJson, userSender } from "./serializers";

/** Chatwoot's limit on message content. */
const MAX_CONTENT = 150000;
/** The message types a client may create (activity and template messages are the system's). */
const CREATABLE_TYPES: readonly MessageType[] = ["incoming", "outgoing"];
/** Keys an item of `content_attributes.items` may have, per content type (Chatwoot's `ContentAttributeValidator`). */
const ITEM_KEYS: Readonly<Record<string, readonly string[]>> = {
  input_select: ["title", "value"],
  cards: ["title", "description", "media_url", "actions"],
};
/** Keys a card's action may have. */
const CARD_ACTION_KEYS: readonly string[] = ["text", "type", "payload", "uri"];
/** Largest id a path or query may name (int4). */
const INT4_MAX = 2147483647;
/** Chatwoot's `content_type` enum. */
const CONTENT_TYPES = ["text", "input_text", "input_textarea", "input_email", "input_select", "cards", "form", "article", "incoming_email", "input_csat", "integrations", "sticker", "voice_call"];

/**
 * `POST /accounts/:account_id/conversations/:conversation_id/messages` (the conversation's
 * display id, as in Chatwoot). The route only saves rows through TypeORM; the library's entity
 * subscriber turns the insert into a `message_created` webhook.
 */
export function createMessage(dataSource: DataSource) {
  return async (req: Request, res: Response) => {
    const member = memberOf(res);
    const conversation = await findConversation(dataSource.manager, member.accountId, pathId(req.params.conversation_id));
    await assertBotInInbox(dataSource, member, conversation.inboxId);
    const body = bodyObject(req.body);
    const files = uploadedFiles(req);

    const content = optionalString(body, "content", MAX_CONTENT);
    if (isBlank(content) && files.length === 0) throw unprocessable("content can't be blank unless attachments[] are sent");
    const messageType = (optionalString(body, "message_type", 32) ?? "outgoing") as MessageType;
    if (!CREATABLE_TYPES.includes(messageType)) throw unprocessable(`message_type must be one of ${CREATABLE_TYPES.join(", ")}`);
    const contentType = optionalString(body, "content_type", 32) ?? "text";
    if (!CONTENT_TYPES.includes(contentType)) throw unprocessable(`content_type must be one of ${CONTENT_TYPES.join(", ")}`);
    const isPrivate = optionalBoolean(body, "private") ?? false;
    const contentAttributes = optionalObject(body, "content_attributes") ?? {};
    const invalid = contentAttributeErrors(contentType, contentAttributes);
    // Chatwoot's message create answers a failed save as 422 {"error": "Validation failed: ..."}.
    if (invalid.length > 0) throw unprocessable(`Validation failed: ${invalid.map((error) => `Content attributes ${error}`).join(", ")}`);

    const incoming = messageType === "incoming";
    const author = incoming
      ? ({ senderType: "Contact", senderId: conversation.contactId } as const)
      : member.agentBotId !== null
        ? ({ senderType: "AgentBot", senderId: member.agentBotId } as const)
        : ({ senderType: "User", senderId: member.userId } as const);
    const { message, attachments } = await dataSource.transaction(async (manager) => {
      const message = await manager.save(
        Message,
        manager.create(Message, {
          accountId: member.accountId,
          inboxId: conversation.inboxId,
          conversationId: conversation.id,
          content: content ?? null,
          messageType,
          contentType,
          contentAttributes,
          private: isPrivate,
          senderType: author.senderType,
          senderId: author.senderId,
        }),
      );
      const attachments: Attachment[] = [];
      for (const file of files) attachments.push(await saveAttachment(manager, message, file));
      return { message, attachments };
    });

    const sender = await senderOf(dataSource.manager, author.senderType, author.senderId);
    res.json(messageJson(message, conversation, sender, attachments));
  };
}

/**
 * `PATCH /accounts/:account_id/messages/:id` body `{content}` (and Chatwoot's own path
 * `.../conversations/:conversation_id/messages/:id`). Saving a changed message is what produces
 * `message_updated`; saving the same content changes nothing and sends nothing.
 */
export function updateMessage(dataSource: DataSource) {
  return async (req: Request, res: Response) => {
    const member = memberOf(res);
    const id = pathId(req.params.id);
    const message = await dataSource.getRepository(Message).findOneBy({ id, accountId: member.accountId });
    if (!message) throw notFound();
    const conversation = await dataSource.getRepository(Conversation).findOneBy({ id: message.conversationId, accountId: member.accountId });
    if (!conversation) throw notFound();
    if (req.params.conversation_id !== undefined && pathId(req.params.conversation_id) !== conversation.displayId) throw notFound();

    const body = bodyObject(req.body);
    const content = optionalString(body, "content", MAX_CONTENT);
    if (content === undefined) throw unprocessable("content is required");
    message.content = content;
    const saved = await dataSource.getRepository(Message).save(message);

    const attachments = await dataSource.getRepository(Attachment).find({ where: { messageId: saved.id }, order: { id: "ASC" } });
    const sender = await senderOf(dataSource.manager, saved.senderType, saved.senderId);
    res.json(messageJson(saved, conversation, sender, attachments));
  };
}

/**
 * `GET /accounts/:account_id/conversations/:conversation_id/messages`: Chatwoot's message page.
 * Without parameters the latest 20 messages, oldest first; `before=<id>` the 20 before that id,
 * `after=<id>` up to 100 after it, both for up to 1,000 between them, `before_timestamp=<unix>`
 * the 20 before that time; `filter_internal_messages` leaves out private notes and activity
 * messages (Chatwoot's `MessageFinder`). Answers `{meta: {labels, additional_attributes, contact,
 * assignee?, agent_last_seen_at, assignee_last_seen_at}, payload: [message, ...]}`.
 */
export function listMessages(dataSource: DataSource) {
  return async (req: Request, res: Response) => {
    const member = memberOf(res);
    const manager = dataSource.manager;
    const conversation = await findConversation(manager, member.accountId, pathId(req.params.conversation_id));
    const contact = await manager.findOneBy(Contact, { id: conversation.contactId });
    if (!contact) throw notFound();
    const assignee = conversation.assigneeId === null ? null : await manager.findOneBy(User, { id: conversation.assigneeId });
    const messages = await findMessages(manager, conversation, req.query as Record<string, unknown>);

    const attachments = messages.length === 0 ? [] : await manager.find(Attachment, { where: { messageId: In(messages.map((message) => message.id)) }, order: { id: "ASC" } });
    const senders = new Map<string, Record<string, unknown> | null>();
    const payload = [];
    for (const message of messages) {
      const key = `${message.senderType}:${message.senderId}`;
      if (!senders.has(key)) senders.set(key, await senderOf(manager, message.senderType, message.senderId));
      payload.push(messageJson(message, conversation, senders.get(key) ?? null, attachments.filter((attachment) => attachment.messageId === message.id)));
    }
    res.json({ meta: messagesMetaJson(conversation, contact, assignee), payload });
  };
}

/** The page of messages `listMessages` answers, oldest first. */
async function findMessages(manager: EntityManager, conversation: Conversation, query: Record<string, unknown>): Promise<Message[]> {
  const page = (newestFirst: boolean, limit: number) => {
    const builder = manager.createQueryBuilder(Message, "message").where("message.conversation_id = :conversationId", { conversationId: conversation.id });
    if (isPresent(query.filter_internal_messages)) builder.andWhere("NOT (message.private OR message.message_type = 'activity')");
    const direction = newestFirst ? "DESC" : "ASC";
    return builder.orderBy("message.created_at", direction).addOrderBy("message.id", direction).limit(limit);
  };
  const after = isPresent(query.after) ? clampedInt(query.after) : null;
  const before = isPresent(query.before) ? clampedInt(query.before) : null;
  if (after !== null && before !== null) return page(false, 1000).andWhere("message.id >= :after AND message.id < :before", { after, before }).getMany();
  if (before !== null) return (await page(true, 20).andWhere("message.id < :before", { before }).getMany()).reverse();
  if (after !== null) return page(false, 100).andWhere("message.id > :after", { after }).getMany();
  if (isPresent(query.before_timestamp)) {
    const seconds = Math.max(-8.64e12, Math.min(8.64e12, rubyToInt(query.before_timestamp)));
    return (await page(true, 20).andWhere("message.created_at < :time", { time: new Date(seconds * 1000) }).getMany()).reverse();
  }
  return (await page(true, 20).getMany()).reverse();
}

/** Rails' `present?` for a query value: a string with something other than whitespace. */
function isPresent(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

/** Ruby's `String#to_i` (leading digits, else 0), kept within int4 so the database can compare it. */
function clampedInt(value: unknown): number {
  return Math.max(-INT4_MAX - 1, Math.min(INT4_MAX, rubyToInt(value)));
}

function rubyToInt(value: unknown): number {
  const match = typeof value === "string" ? /^\s*[+-]?\d+/.exec(value) : null;
  return match ? Number(match[0].trim()) : 0;
}

/**
 * What Chatwoot's `ContentAttributeValidator` says about a message's `content_attributes`:
 * `input_select` and `cards` need a non-empty `items` list whose items use only their keys, and
 * every card needs `actions` with only action keys. Items that are not objects are refused as well
 * (Chatwoot fails on them with a 500-class error rather than a message). Empty when valid.
 */
export function contentAttributeErrors(contentType: string, attributes: Record<string, unknown>): string[] {
  const allowed = ITEM_KEYS[contentType];
  if (!allowed) return [];
  const items = attributes.items;
  if (!Array.isArray(items) || items.length === 0) return ["At least one item is required."];
  if (!items.every(isPlainObject)) return ["contains items that are not objects"];
  const errors: string[] = [];
  const invalidKeys = items.flatMap((item) => Object.keys(item)).filter((key) => !allowed.includes(key));
  if (invalidKeys.length > 0) errors.push(`contains invalid keys for items : ${rubySymbols(invalidKeys)}`);
  if (contentType === "cards") {
    if (items.some((item) => !Array.isArray(item.actions) || item.actions.length === 0 || !item.actions.every(isPlainObject))) {
      errors.push("contains items missing actions");
    } else {
      const invalidActionKeys = items.flatMap((item) => (item.actions as Array<Record<string, unknown>>).flatMap((action) => Object.keys(action))).filter((key) => !CARD_ACTION_KEYS.includes(key));
      if (invalidActionKeys.length > 0) errors.push(`contains invalid keys for actions:  ${rubySymbols(invalidActionKeys)}`);
    }
  }
  return errors;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Keys as Ruby prints an array of symbols: `[:foo, :"bad key"]`. */
function rubySymbols(keys: string[]): string {
  return `[${keys.map((key) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `:${key}` : `:${JSON.stringify(key)}`)).join(", ")}]`;
}

async function findConversation(manager: EntityManager, accountId: number, displayId: number): Promise<Conversation> {
  const conversation = await manager.findOneBy(Conversation, { accountId, displayId });
  if (!conversation) throw notFound();
  return conversation;
}

// The demo keeps no file contents: an attachment row records what was uploaded (type, size,
// extension) and a URL under /uploads that this app does not serve. A real host would put the
// bytes in object storage and store that URL instead.
async function saveAttachment(manager: EntityManager, message: Message, file: Express.Multer.File): Promise<Attachment> {
  const attachment = await manager.save(
    Attachment,
    manager.create(Attachment, {
      accountId: message.accountId,
      messageId: message.id,
      fileType: fileTypeOf(file.mimetype),
      extension: extensionOf(file.originalname),
      fileSize: file.size,
    }),
  );
  attachment.dataUrl = `/uploads/${attachment.id}/${encodeURIComponent(file.originalname || "file")}`;
  await manager.update(Attachment, { id: attachment.id }, { dataUrl: attachment.dataUrl });
  return attachment;
}

function fileTypeOf(mimetype: string): AttachmentFileType {
  const family = mimetype.split("/")[0];
  return family === "image" || family === "audio" || family === "video" ? family : "file";
}

function extensionOf(filename: string): string | null {
  const extension = extname(filename).slice(1).toLowerCase();
  return extension && extension.length <= 32 ? extension : null;
}

/** A message's sender as Chatwoot's message JSON shows it: a contact, a user, an agent bot, or null. */
export async function senderOf(manager: EntityManager, type: string | null, id: number | null): Promise<Record<string, unknown> | null> {
  if (id === null) return null;
  if (type === "Contact") {
    const contact = await manager.findOneBy(Contact, { id });
    return contact ? contactSender(contact) : null;
  }
  if (type === "User") {
    const user = await manager.findOneBy(User, { id });
    return user ? userSender(user) : null;
  }
  if (type === "AgentBot") {
    const bot = await manager.findOneBy(AgentBot, { id });
    return bot ? { id: bot.id, name: bot.name, avatar_url: bot.avatarUrl ?? "", type: "agent_bot" } : null;
  }
  return null;
}
