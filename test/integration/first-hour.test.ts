/**
 * The mistakes a host makes in its first hour, each answered with a sentence that says what to do:
 * entities not registered, migrations not run, a loopback target refused, no dispatcher running.
 */
import request from "supertest";
import { DataSource, type DataSourceOptions } from "typeorm";
import { createWebhooks } from "../../src/create-webhooks";
import { DOMAIN_ENTITIES, ENTITIES, Message } from "../../src/entities";
import type { Logger } from "../../src/options";
import { MIGRATIONS_MISSING } from "../../src/schema-check";
import { buildApi, makeTenant } from "../helpers/api";
import { createTestDatabase, describeWithPostgres, type TestDatabase } from "../helpers/database";
import { makeScene, newMessage } from "../helpers/fixtures";
import { eventually } from "../helpers/webhooks";

function capturingLogger() {
  const lines: Array<{ level: string; obj: object; msg?: string }> = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { logger, lines };
}

describe("a host's first hour", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase("first_hour");
  });

  afterAll(async () => {
    await db.drop();
  });

  it("entities not registered: createWebhooks says which and where to put them", async () => {
    const partial = await db.open({ entities: [...DOMAIN_ENTITIES], migrations: [] });
    try {
      expect(() => createWebhooks({ dataSource: partial })).toThrow(/does not know the entities Webhook, WebhookEvent, WebhookDelivery, WebhookAttempt, WebhookRecovery\. Spread ENTITIES from this package into its "entities" option/);
    } finally {
      await partial.destroy();
    }
  });

  it("a loopback target: Chatwoot's 422, plus why and the switch that allows it, in the answer and the server log", async () => {
    const { logger, lines } = capturingLogger();
    const api = buildApi(db.dataSource, { logger });
    try {
      const tenant = await makeTenant(db.dataSource);
      const res = await request(api.server).post(`/api/v1/accounts/${tenant.account.id}/webhooks`).set("api_access_token", tenant.adminToken).send({ url: "http://127.0.0.1:4000/hook" });
      expect(res.status).toBe(422);
      expect(res.body.message).toBe("Url is invalid");
      expect(res.body.reason).toMatch(/^private address refused: .*SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true or the allowPrivateNetwork option/);
      expect(lines).toContainEqual({ level: "info", obj: expect.objectContaining({ reason: res.body.reason }), msg: "webhooks management API: URL refused" });
      // A malformed URL stays a plain `Url is invalid`: nothing about addresses to say.
      const malformed = await request(api.server).post(`/api/v1/accounts/${tenant.account.id}/webhooks`).set("api_access_token", tenant.adminToken).send({ url: "not a url" });
      expect(malformed.body).toEqual({ message: "Url is invalid", attributes: ["url"] });
    } finally {
      await api.close();
    }
  });

  describeWithPostgres("with a database nobody migrated", () => {
    let bare: DataSource;

    beforeAll(async () => {
      // The same server, a database of its own with none of the library's tables.
      const admin = await db.open();
      await admin.query(`CREATE DATABASE "${db.name}_bare"`);
      const url = new URL(db.url);
      url.pathname = `/${db.name}_bare`;
      bare = await new DataSource({ type: "postgres", url: url.toString(), entities: ENTITIES } as DataSourceOptions).initialize();
    });

    afterAll(async () => {
      await bare?.destroy();
      const admin = await db.open();
      await admin.query(`DROP DATABASE IF EXISTS "${db.name}_bare" WITH (FORCE)`);
    });

    it("dispatcher.start() refuses, naming the migrations; a route's 500 is logged with the same advice", async () => {
      const { logger, lines } = capturingLogger();
      const webhooks = createWebhooks({ dataSource: bare, logger, notify: false });
      try {
        await expect(webhooks.dispatcher.start()).rejects.toThrow(/webhooks\.dispatcher\.start\(\): the library's tables are missing or out of date: run its migrations .*MIGRATIONS.*runMigrations\(\).*Missing: webhooks, webhook_events/);
        const app = (await import("express")).default().use("/api/v1", webhooks.router);
        const res = await request(app).get("/api/v1/accounts/1/webhooks").set("api_access_token", "anything");
        expect(res.status).toBe(500);
        expect(lines.some((line) => line.level === "error" && line.msg?.endsWith(MIGRATIONS_MISSING))).toBe(true);
      } finally {
        await webhooks.close();
      }
    });
  });

  it("no dispatcher anywhere: events that wait are reported once, with what to do", async () => {
    const { logger, lines } = capturingLogger();
    const webhooks = createWebhooks({ dataSource: db.dataSource, logger, notify: false, stalledEventsWarningMs: 300 });
    try {
      const scene = await makeScene(db.dataSource);
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation));
      const warned = () => lines.filter((line) => line.level === "warn" && /^webhook events have waited \d+ s and this process runs no dispatcher: unless a worker process runs one, call `await webhooks\.dispatcher\.start\(\)` here/.test(line.msg ?? ""));
      await eventually(() => warned().length === 1, 5000, "the warning");
      // Once is enough: more events do not repeat it.
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation));
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(warned()).toHaveLength(1);
    } finally {
      await webhooks.close();
    }
  });

  it("a running dispatcher means no warning", async () => {
    const { logger, lines } = capturingLogger();
    const webhooks = createWebhooks({ dataSource: db.dataSource, logger, notify: false, stalledEventsWarningMs: 300, pollIntervalMs: 50 });
    try {
      await webhooks.dispatcher.start();
      const scene = await makeScene(db.dataSource);
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation));
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(lines.filter((line) => line.level === "warn")).toEqual([]);
    } finally {
      await webhooks.close();
    }
  });
});
