import { randomBytes } from "node:crypto";
import type { DataSource, EntityManager } from "typeorm";
import { AccessToken, Account, AccountUser, Contact, ContactInbox, Conversation, Inbox, Message, User, Webhook } from "../../src/entities";
import type { AccountRole } from "../../src/entities";

type Db = DataSource | EntityManager;
const managerOf = (db: Db): EntityManager => ("manager" in db ? db.manager : db);
const unique = () => randomBytes(4).toString("hex");

/** Builders for test data: each takes the fields a test cares about and fills in the rest. */
export async function makeAccount(db: Db, fields: Partial<Account> = {}): Promise<Account> {
  return managerOf(db).save(Account, { name: `Account ${unique()}`, ...fields });
}

/** A user with a role in the account and an access token; returns both. */
export async function makeUser(db: Db, accountId: number, role: AccountRole = "administrator", fields: Partial<User> = {}): Promise<{ user: User; token: string }> {
  const manager = managerOf(db);
  const user = await manager.save(User, { name: `User ${unique()}`, email: `${unique()}@example.test`, ...fields });
  await manager.save(AccountUser, { accountId, userId: user.id, role });
  const token = `tok_${randomBytes(12).toString("hex")}`;
  await manager.save(AccessToken, { userId: user.id, token });
  return { user, token };
}

export async function makeInbox(db: Db, accountId: number, fields: Partial<Inbox> = {}): Promise<Inbox> {
  return managerOf(db).save(Inbox, { accountId, name: "Website", channelType: "Channel::WebWidget", ...fields });
}

export async function makeContact(db: Db, accountId: number, fields: Partial<Contact> = {}): Promise<Contact> {
  return managerOf(db).save(Contact, { accountId, name: "Jane Doe", email: `${unique()}@example.com`, ...fields });
}

/** A conversation with its contact-inbox link. */
export async function makeConversation(db: Db, inbox: Inbox, contact: Contact, fields: Partial<Conversation> = {}): Promise<Conversation> {
  const manager = managerOf(db);
  const contactInbox = await manager.save(ContactInbox, { contactId: contact.id, inboxId: inbox.id, sourceId: randomBytes(8).toString("hex") });
  return manager.save(Conversation, manager.create(Conversation, { accountId: inbox.accountId, inboxId: inbox.id, contactId: contact.id, contactInboxId: contactInbox.id, ...fields }));
}

/** An unsaved message in the conversation (incoming from its contact unless told otherwise). */
export function newMessage(db: Db, conversation: Conversation, fields: Partial<Message> = {}): Message {
  return managerOf(db).create(Message, {
    accountId: conversation.accountId,
    inboxId: conversation.inboxId,
    conversationId: conversation.id,
    content: "Hi",
    messageType: "incoming",
    senderType: "Contact",
    senderId: conversation.contactId,
    ...fields,
  });
}

/** A webhook row written directly (bypassing the API), for delivery tests. */
export async function makeWebhook(db: Db, accountId: number, url: string, fields: Partial<Webhook> = {}): Promise<Webhook> {
  return managerOf(db).save(Webhook, {
    accountId,
    url,
    subscriptions: ["message_created", "message_updated", "conversation_created", "conversation_updated", "conversation_status_changed", "contact_created", "contact_updated"],
    secret: randomBytes(12).toString("hex"),
    ...fields,
  });
}

/** Account + inbox + contact + conversation: the usual starting point. */
export async function makeScene(db: Db) {
  const account = await makeAccount(db);
  const inbox = await makeInbox(db, account.id);
  const contact = await makeContact(db, account.id);
  const conversation = await makeConversation(db, inbox, contact);
  return { account, inbox, contact, conversation };
}
