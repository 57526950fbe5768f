import type { Account, AgentBot, Attachment, Contact, ContactInbox, Conversation, Inbox, Message, Team, User } from "../entities";

/*
 * The columns each builder reads, as plain objects. A loaded entity satisfies these types, and so
 * does an object literal in a test: builders never touch TypeORM.
 */

export type AccountRow = Pick<Account, "id" | "name">;

export type UserRow = Pick<User, "id" | "name" | "displayName" | "email" | "avatarUrl">;

export type AgentBotRow = Pick<AgentBot, "id" | "name" | "avatarUrl">;

export type TeamRow = Pick<Team, "id" | "name">;

export type InboxRow = Pick<Inbox, "id" | "accountId" | "name" | "channelType" | "createdAt" | "updatedAt">;

export type ContactRow = Pick<
  Contact,
  "id" | "accountId" | "name" | "email" | "phoneNumber" | "identifier" | "avatarUrl" | "additionalAttributes" | "customAttributes" | "blocked"
>;

export type ContactInboxRow = Pick<ContactInbox, "id" | "contactId" | "inboxId" | "sourceId" | "hmacVerified" | "pubsubToken" | "createdAt" | "updatedAt">;

export type ConversationRow = Pick<
  Conversation,
  | "id"
  | "accountId"
  | "inboxId"
  | "contactId"
  | "contactInboxId"
  | "displayId"
  | "status"
  | "priority"
  | "assigneeId"
  | "assigneeAgentBotId"
  | "teamId"
  | "additionalAttributes"
  | "customAttributes"
  | "labels"
  | "snoozedUntil"
  | "waitingSince"
  | "firstReplyCreatedAt"
  | "agentLastSeenAt"
  | "contactLastSeenAt"
  | "lastActivityAt"
  | "createdAt"
  | "updatedAt"
>;

export type MessageRow = Pick<
  Message,
  | "id"
  | "accountId"
  | "inboxId"
  | "conversationId"
  | "content"
  | "messageType"
  | "contentType"
  | "contentAttributes"
  | "additionalAttributes"
  | "externalSourceIds"
  | "private"
  | "status"
  | "sourceId"
  | "senderType"
  | "senderId"
  | "createdAt"
  | "updatedAt"
>;

export type AttachmentRow = Pick<
  Attachment,
  | "id"
  | "accountId"
  | "messageId"
  | "fileType"
  | "externalUrl"
  | "dataUrl"
  | "thumbUrl"
  | "extension"
  | "contentType"
  | "fileSize"
  | "width"
  | "height"
  | "fallbackTitle"
  | "coordinatesLat"
  | "coordinatesLong"
>;

/** The polymorphic author of a message, or whoever is typing: a User, a Contact or an AgentBot. */
export type Actor =
  | { type: "User"; user: UserRow }
  | { type: "Contact"; contact: ContactRow; account: AccountRow }
  | { type: "AgentBot"; agentBot: AgentBotRow };
