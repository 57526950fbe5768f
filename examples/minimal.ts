/**
 * The smallest complete host: an Express 5 + TypeORM app with Chatwoot-compatible webhooks.
 * It is what README's "Adopting it in your app" walks through, it is type-checked with the rest
 * of the repository, and the package test installs the packed library and runs this file against
 * it (with `from "chatwoot-webhooks"`).
 *
 *   DATABASE_URL=postgres://... ADMIN_TOKEN=secret SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true node minimal.js
 *
 * Then create a webhook with Chatwoot's API (header `api_access_token: $ADMIN_TOKEN`) and
 * `POST /messages {"content": "Hi"}`: the webhook receives Chatwoot's `message_created`.
 */
import "reflect-metadata";
import express from "express";
import { DataSource } from "typeorm";
import { Account, Contact, ContactInbox, Conversation, createWebhooks, ENTITIES, Inbox, Message, MIGRATIONS, readAccessToken, type Authenticate } from "../src";

const dataSource = new DataSource({
  type: "postgres",
  url: process.env.DATABASE_URL,
  // Your own entities and migrations go next to the library's.
  entities: [...ENTITIES],
  migrations: [...MIGRATIONS],
});

/**
 * Your users, mapped onto the management API's question: who is calling, and are they an
 * administrator of this account? Here a single token from the environment is the administrator
 * of every account; a real app looks up its session or API key and its own membership table.
 */
const authenticate: Authenticate = async (req, _accountId) => {
  // `api_access_token` in any spelling clients use (`Api-Access-Token`, ...) or a Bearer token.
  const token = readAccessToken(req);
  if (!token || token !== process.env.ADMIN_TOKEN) return null; // 401 Invalid Access Token
  return { userId: 1, role: "administrator" };
};

/** The rows a message needs, as a host creates them (required fields only). */
async function seed() {
  const manager = dataSource.manager;
  const existing = await manager.findOne(Conversation, { where: {}, order: { id: "ASC" } });
  if (existing) return existing;
  const account = await manager.save(manager.create(Account, { name: "Acme Inc" }));
  const inbox = await manager.save(manager.create(Inbox, { accountId: account.id, name: "Website", channelType: "Channel::WebWidget" }));
  const contact = await manager.save(manager.create(Contact, { accountId: account.id, name: "Jane Doe", email: "jane@example.com" }));
  const contactInbox = await manager.save(manager.create(ContactInbox, { contactId: contact.id, inboxId: inbox.id, sourceId: "jane-website" }));
  return manager.save(manager.create(Conversation, { accountId: account.id, inboxId: inbox.id, contactId: contact.id, contactInboxId: contactInbox.id }));
}

async function main(): Promise<void> {
  await dataSource.initialize();
  await dataSource.runMigrations();
  const conversation = await seed();

  const webhooks = createWebhooks({ dataSource, authenticate });
  const app = express();
  // The library's router parses its own bodies: mount it before any global body parser.
  app.use("/api/v1", webhooks.router);
  app.use("/app", webhooks.settingsRouter);
  // Your own route: it only saves a Message; the webhook goes out because of the save.
  app.post("/messages", express.json(), async (req, res) => {
    const message = await dataSource.getRepository(Message).save(
      dataSource.getRepository(Message).create({
        accountId: conversation.accountId,
        inboxId: conversation.inboxId,
        conversationId: conversation.id,
        content: String(req.body?.content ?? ""),
        messageType: "incoming",
        senderType: "Contact",
        senderId: conversation.contactId,
      }),
    );
    res.json({ id: message.id });
  });

  // In a web process that should not send, leave this out and run a worker that does only this.
  await webhooks.dispatcher.start();
  const server = app.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : process.env.PORT;
    console.log(`listening on http://127.0.0.1:${port} (account ${conversation.accountId})`);
  });

  // Close the server, then the library (it waits up to 10 s for attempts in flight), then the
  // database, and exit: a SIGTERM handler replaces Node's default exit, so it must exit itself.
  const shutdown = async () => {
    await new Promise((resolve) => {
      server.close(resolve);
      server.closeIdleConnections();
    });
    await webhooks.close();
    await dataSource.destroy();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown());
  process.once("SIGINT", () => void shutdown());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
