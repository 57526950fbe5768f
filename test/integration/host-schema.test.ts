/**
 * A host whose database already has tables called `users` and `messages` (its own) puts the
 * library's tables in a schema of its choosing: both sets of migrations run in one
 * `runMigrations()`, the host's tables are untouched, and a saved message is delivered, signed,
 * through every part that writes SQL (subscriber, fan-out, claims, the API channel's triggers,
 * the management API, the stall watch and the schema check).
 */
import "reflect-metadata";
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import request from "supertest";
import { Column, DataSource, Entity, PrimaryGeneratedColumn, type MigrationInterface, type QueryRunner } from "typeorm";
import { ENTITIES, ChannelApi, Message, WebhookDelivery } from "../../src/entities";
import { MIGRATIONS } from "../../src/migrations";
import { missingSchema } from "../../src/schema-check";
import { tablesOf, useLibrarySchema } from "../../src/tables";
import { buildApi, makeTenant } from "../helpers/api";
import { describeWithPostgres } from "../helpers/database";
import { makeContact, makeConversation, makeInbox, makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { verifyBothSignatures } from "../helpers/signatures";
import { eventually, testWebhooks } from "../helpers/webhooks";

// Before any DataSource is built: TypeORM reads the entities' schema when it builds metadata.
useLibrarySchema("chatwoot");

/** The host's own tables, with Chatwoot's names but nothing else in common. */
@Entity({ name: "users" })
class HostUser {
  @PrimaryGeneratedColumn() id: number;
  @Column({ type: "text" }) login: string;
}

@Entity({ name: "messages" })
class HostMessage {
  @PrimaryGeneratedColumn() id: number;
  @Column({ type: "text" }) body: string;
}

class HostTables1700000000000 implements MigrationInterface {
  name = "HostTables1700000000000";
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE users (id serial PRIMARY KEY, login text NOT NULL)`);
    await queryRunner.query(`CREATE TABLE messages (id serial PRIMARY KEY, body text NOT NULL)`);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE messages`);
    await queryRunner.query(`DROP TABLE users`);
  }
}

/** A host migration newer than the library's: it must still land in `public`, not in the library's schema. */
class HostLater1800000000000 implements MigrationInterface {
  name = "HostLater1800000000000";
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE audit_log (id serial PRIMARY KEY)`);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_log`);
  }
}

const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

describeWithPostgres("the library's tables in a schema of the host's choosing", () => {
  const name = `wh_host_schema_${randomBytes(4).toString("hex")}`;
  let dataSource: DataSource;
  let receiver: Receiver;

  const tablesIn = async (schema: string): Promise<string[]> =>
    ((await dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema])) as Array<{ table_name: string }>).map((row) => row.table_name);

  beforeAll(async () => {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    // The host's app as it was before the library: its own migrations, its own rows.
    const before = await new DataSource({ type: "postgres", url: url.toString(), entities: [HostUser, HostMessage], migrations: [HostTables1700000000000] }).initialize();
    await before.runMigrations();
    await before.manager.save(HostUser, { login: "host-admin" });
    await before.manager.save(HostMessage, { body: "the host's own message" });
    await before.destroy();
    dataSource = await new DataSource({
      type: "postgres",
      url: url.toString(),
      entities: [...ENTITIES, HostUser, HostMessage],
      migrations: [HostTables1700000000000, ...MIGRATIONS, HostLater1800000000000],
    }).initialize();
    receiver = await startReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
    await dataSource?.destroy();
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it("runs the library's migrations beside the host's existing users and messages, each set in its own schema", async () => {
    expect(await missingSchema(dataSource)).toContain('"chatwoot".webhooks');

    await dataSource.runMigrations();

    expect(await tablesIn("public")).toEqual(["audit_log", "messages", "migrations", "users"]);
    expect(await tablesIn("chatwoot")).toEqual(expect.arrayContaining(["accounts", "messages", "users", "webhooks", "webhook_events", "webhook_deliveries", "webhook_attempts", "channel_api"]));
    expect(await missingSchema(dataSource)).toEqual([]);
    expect(tablesOf(dataSource).messages).toBe('"chatwoot"."messages"');
    // The host's rows are where they were, with their own columns.
    expect(await dataSource.query(`SELECT login FROM public.users`)).toEqual([{ login: "host-admin" }]);
    expect(await dataSource.query(`SELECT body FROM public.messages`)).toEqual([{ body: "the host's own message" }]);
    // The library's trigger functions live in its schema and resolve names there whoever fires them.
    const functions = (await dataSource.query(
      `SELECT p.proname, p.proconfig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'chatwoot' ORDER BY 1`,
    )) as Array<{ proname: string; proconfig: string[] }>;
    expect(functions.map((fn) => fn.proname)).toContain("webhooks_sync_inbox");
    for (const fn of functions) expect(fn.proconfig).toEqual(['search_path="chatwoot", public']);
  });

  it("delivers a saved message to an account webhook and to an API inbox, signed, with the host's search path untouched", async () => {
    const webhooks = testWebhooks(dataSource);
    await webhooks.dispatcher.start();
    try {
      const scene = await makeScene(dataSource);
      const hook = await makeWebhook(dataSource, scene.account.id, `${receiver.url}/account`);
      // An API channel inbox: its webhook row is written by a trigger function, fired by the host's session.
      const channel = await dataSource.manager.save(dataSource.manager.create(ChannelApi, { accountId: scene.account.id, webhookUrl: `${receiver.url}/inbox` }));
      const apiInbox = await makeInbox(dataSource, scene.account.id, { name: "SMS bridge", channelType: "Channel::Api", channelId: channel.id });
      const apiConversation = await makeConversation(dataSource, apiInbox, await makeContact(dataSource, scene.account.id));
      expect(await dataSource.query(`SHOW search_path`)).toEqual([{ search_path: '"$user", public' }]);

      const message = await dataSource.manager.save(newMessage(dataSource, scene.conversation, { content: "in its own schema" }));
      const inboxMessage = await dataSource.manager.save(newMessage(dataSource, apiConversation, { content: "through the API inbox" }));

      const arrived = (path: string, id: number) => receiver.requests.find((r) => r.path === path && JSON.parse(r.body).event === "message_created" && JSON.parse(r.body).id === id);
      await eventually(() => Boolean(arrived("/account", message.id) && arrived("/inbox", inboxMessage.id)), 10_000, "both deliveries");
      verifyBothSignatures(arrived("/account", message.id)!, hook.secret);
      const savedChannel = await dataSource.manager.findOneByOrFail(ChannelApi, { id: channel.id });
      verifyBothSignatures(arrived("/inbox", inboxMessage.id)!, savedChannel.secret!);
      expect(JSON.parse(arrived("/account", message.id)!.body).content).toBe("in its own schema");

      const logged = await dataSource.manager.find(WebhookDelivery, { where: { status: "succeeded" } });
      expect(logged.length).toBeGreaterThanOrEqual(2);
      // Nothing of the library's was written into the host's `messages`.
      expect(await dataSource.query(`SELECT count(*)::int AS n FROM public.messages`)).toEqual([{ n: 1 }]);
      expect(await dataSource.manager.count(Message)).toBe(2);
    } finally {
      await webhooks.close();
    }
  });

  it("serves the management API from the library's schema (auth, list, create)", async () => {
    const api = buildApi(dataSource);
    try {
      const tenant = await makeTenant(dataSource);
      const created = await request(api.server)
        .post(`/api/v1/accounts/${tenant.account.id}/webhooks`)
        .set("api_access_token", tenant.adminToken)
        .send({ webhook: { url: "https://hooks.example.com/a", subscriptions: ["message_created"] } });
      expect(created.status).toBe(200);
      const listed = await request(api.server).get(`/api/v1/accounts/${tenant.account.id}/webhooks`).set("api_access_token", tenant.adminToken);
      expect(listed.body.payload.webhooks.map((w: { id: number }) => w.id)).toContain(created.body.payload.webhook.id);
      expect(api.errors).toEqual([]);
    } finally {
      await api.close();
    }
  });

  it("undoes the library's migrations without touching the host's tables", async () => {
    await dataSource.undoLastMigration(); // the host's later one
    for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration();
    expect(await tablesIn("chatwoot")).toEqual([]);
    expect(await tablesIn("public")).toEqual(["messages", "migrations", "users"]);
    expect(await dataSource.query(`SELECT login FROM public.users`)).toEqual([{ login: "host-admin" }]);
  });
});
