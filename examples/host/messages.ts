import { extname } from "node:path";
import type { Request, Response } from "express";
import type { DataSource, EntityManager } from "typeorm";
import { AgentBot, Attachment, Contact, Conversation, Message, User, type AttachmentFileType, type MessageType } from "../../src";
import { assertBotInInbox, memberOf } from "./auth";
import { uploadedFiles } from "./body-parser";
import { notFound, unprocessable } from "./http-errors";
import { bodyObject, isBlank, optionalBoolean, optionalObject, optionalString, pathId } from "./params";
import { contactSender, messageJson, userSender } from "./serializers";

/** Chatwoot's limit on message content. */
const MAX_CONTENT = 150000;
/** The message types a client may create (activity and template messages are the system's). */
const CREATABLE_TYPES: readonly MessageType[] = ["incoming", "outgoing"];
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
async function senderOf(manager: EntityManager, type: string | null, id: number | null): Promise<Record<string, unknown> | null> {
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
