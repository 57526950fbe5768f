import { randomUUID } from "node:crypto";
import type { DataSource, EntityManager } from "typeorm";
import { AccessToken, AccountUser, Contact, ContactInbox, Conversation, Inbox, User, type AccountRole } from "../src";
import type { DemoTokens } from "./config";
import { randomToken } from "./random-token";

/** Where a seeded user's token came from: the environment, an earlier start, or made up just now. */
export type TokenSource = "env" | "stored" | "generated";

export interface SeededUser {
  /** Which `DEMO_*_TOKEN` variable sets this user's token. */
  variable: "DEMO_ADMIN_TOKEN" | "DEMO_AGENT_TOKEN" | "DEMO_OTHER_TOKEN";
  userId: number;
  name: string;
  email: string;
  accountId: number;
  role: AccountRole;
  token: string;
  source: TokenSource;
}

/** What {@link seed} made sure exists. */
export interface SeedResult {
  accountId: number;
  otherAccountId: number;
  inboxId: number;
  contactId: number;
  /** Display id of the seeded conversation (1). */
  conversationDisplayId: number;
  users: { admin: SeededUser; agent: SeededUser; other: SeededUser };
}

/** The browser block of the 2020 `message_created` example, on the seeded conversation. */
export const SEED_CONVERSATION_ATTRIBUTES = {
  browser: {
    device_name: "Macbook",
    browser_name: "Chrome",
    platform_name: "Macintosh",
    browser_version: "80.0.3987.122",
    platform_version: "10.15.2",
  },
  referer: "http://www.chatwoot.com",
  initiated_at: { timestamp: "Tue Mar 03 2020 18:37:38 GMT-0700 (Mountain Standard Time)" },
};

/**
 * Create the demo data once (docs: demo.md "Seed data"). Every step looks for its row first, so
 * running it again on the same database changes nothing and reuses the stored tokens. Tokens
 * given in `tokens` replace the stored ones.
 */
export async function seed(dataSource: DataSource, tokens: DemoTokens): Promise<SeedResult> {
  return dataSource.transaction(async (manager) => {
    await ensureAccount(manager, 1, "Acme Inc");
    await ensureAccount(manager, 2, "Other Co");

    const admin = await ensureUser(manager, { variable: "DEMO_ADMIN_TOKEN", name: "Admin", email: "admin@acme.test", accountId: 1, role: "administrator" }, tokens.admin);
    const agent = await ensureUser(manager, { variable: "DEMO_AGENT_TOKEN", name: "Agent", email: "agent@acme.test", accountId: 1, role: "agent" }, tokens.agent);
    const other = await ensureUser(manager, { variable: "DEMO_OTHER_TOKEN", name: "Other Admin", email: "admin@other.test", accountId: 2, role: "administrator" }, tokens.other);

    const inbox = (await manager.findOneBy(Inbox, { accountId: 1, name: "Website" })) ?? (await manager.save(Inbox, manager.create(Inbox, { accountId: 1, name: "Website", channelType: "Channel::WebWidget" })));
    const contact = (await manager.findOneBy(Contact, { accountId: 1, email: "jane@example.com" })) ?? (await manager.save(Contact, manager.create(Contact, { accountId: 1, name: "Jane Doe", email: "jane@example.com" })));
    let conversation = await manager.findOneBy(Conversation, { accountId: 1, displayId: 1 });
    if (!conversation) {
      const contactInbox =
        (await manager.findOneBy(ContactInbox, { contactId: contact.id, inboxId: inbox.id })) ??
        (await manager.save(ContactInbox, manager.create(ContactInbox, { contactId: contact.id, inboxId: inbox.id, sourceId: randomUUID(), pubsubToken: randomToken() })));
      conversation = await manager.save(
        Conversation,
        manager.create(Conversation, {
          accountId: 1,
          inboxId: inbox.id,
          contactId: contact.id,
          contactInboxId: contactInbox.id,
          displayId: 1,
          status: "open",
          additionalAttributes: SEED_CONVERSATION_ATTRIBUTES,
        }),
      );
    }
    return { accountId: 1, otherAccountId: 2, inboxId: inbox.id, contactId: contact.id, conversationDisplayId: conversation.displayId, users: { admin, agent, other } };
  });
}

// The demo promises accounts 1 and 2 even on a fresh database, so ids are written explicitly and
// the sequence is moved past them, leaving later accounts to number themselves as usual.
async function ensureAccount(manager: EntityManager, id: number, name: string): Promise<void> {
  await manager.query(`INSERT INTO "accounts" ("id", "name") VALUES ($1, $2) ON CONFLICT ("id") DO NOTHING`, [id, name]);
  await manager.query(`SELECT setval(pg_get_serial_sequence('accounts', 'id'), GREATEST((SELECT max("id") FROM "accounts"), 1))`);
}

async function ensureUser(manager: EntityManager, wanted: Omit<SeededUser, "userId" | "token" | "source">, envToken: string | null): Promise<SeededUser> {
  const user = (await manager.findOneBy(User, { email: wanted.email })) ?? (await manager.save(User, manager.create(User, { name: wanted.name, email: wanted.email })));
  const membership = await manager.findOneBy(AccountUser, { accountId: wanted.accountId, userId: user.id });
  if (!membership) await manager.save(AccountUser, manager.create(AccountUser, { accountId: wanted.accountId, userId: user.id, role: wanted.role }));

  const stored = await manager.findOne(AccessToken, { where: { userId: user.id }, order: { id: "ASC" } });
  const base = { ...wanted, userId: user.id };
  if (envToken) {
    const holder = await manager.findOneBy(AccessToken, { token: envToken });
    if (holder && holder.userId !== user.id) {
      throw new Error(`${wanted.variable} is already the access token of another user (id ${holder.userId}); choose a different value.`);
    }
    if (!holder) {
      if (stored) await manager.update(AccessToken, { id: stored.id }, { token: envToken });
      else await manager.save(AccessToken, manager.create(AccessToken, { userId: user.id, token: envToken }));
    }
    return { ...base, token: envToken, source: "env" };
  }
  if (stored) return { ...base, token: stored.token, source: "stored" };
  const token = randomToken();
  await manager.save(AccessToken, manager.create(AccessToken, { userId: user.id, token }));
  return { ...base, token, source: "generated" };
}
