/**
 * Chatwoot's agent-bot management routes (`Api::V1::Accounts::AgentBotsController`, its
 * `_agent_bot.json.jbuilder`, and `InboxesController#set_agent_bot` / `#agent_bot`), with
 * Chatwoot's auth and error shapes, account isolation and a table of malformed bodies.
 */
import request from "supertest";
import { AccessToken, AgentBot, AgentBotInbox, Webhook } from "../../src/entities";
import { PRIVATE_ADDRESS_REASON } from "../../src/routes/target-url";
import { buildApi, isChatwootError, makeTenant, type ApiHarness, type Tenant, NOT_ADMINISTRATOR, NOT_IN_ACCOUNT } from "../helpers/api";
import { createTestDatabase, type TestDatabase } from "../helpers/database";

describe("agent bots API", () => {
  let db: TestDatabase;
  let api: ApiHarness;
  let tenant: Tenant;
  let other: Tenant;

  beforeAll(async () => {
    db = await createTestDatabase("agent_bots_api");
    api = buildApi(db.dataSource);
    tenant = await makeTenant(db.dataSource);
    other = await makeTenant(db.dataSource);
  });

  afterEach(() => {
    // No request of any test may end in a 500.
    expect(api.errors).toEqual([]);
  });

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  const as = (token: string) => ({ api_access_token: token });
  const createBot = async (t: Tenant, body: object = { name: "Helper", outgoing_url: "https://bot.example.com/hook" }) => {
    const res = await request(api.server).post(`/api/v1/accounts/${t.account.id}/agent_bots`).set(as(t.adminToken)).send(body);
    expect(res.status).toBe(200);
    return res.body as Record<string, unknown> & { id: number; access_token: string; secret: string };
  };
  const snapshot = async () => ({
    bots: await db.dataSource.query(`SELECT * FROM agent_bots ORDER BY id`),
    links: await db.dataSource.query(`SELECT * FROM agent_bot_inboxes ORDER BY id`),
    tokens: await db.dataSource.query(`SELECT * FROM access_tokens ORDER BY id`),
  });

  it("creates a bot with Chatwoot's JSON, its access token and its signing secret", async () => {
    const bot = await createBot(tenant, { agent_bot: { name: "Helper", description: "Answers FAQs", outgoing_url: "https://bot.example.com/hook", bot_config: { lang: "en" } } });
    expect(Object.keys(bot)).toEqual(["id", "name", "description", "thumbnail", "outgoing_url", "bot_type", "bot_config", "account_id", "access_token", "secret", "system_bot"]);
    expect(bot).toMatchObject({ name: "Helper", description: "Answers FAQs", thumbnail: "", outgoing_url: "https://bot.example.com/hook", bot_type: "webhook", bot_config: { lang: "en" }, account_id: tenant.account.id, system_bot: false });
    expect(bot.secret).toMatch(/^[1-9A-HJ-NP-Za-km-z]{24}$/);
    expect(bot.access_token).toMatch(/^[1-9A-HJ-NP-Za-km-z]{24}$/);
    const token = await db.dataSource.getRepository(AccessToken).findOneByOrFail({ token: bot.access_token });
    expect(token).toMatchObject({ agentBotId: bot.id, userId: null });
    const shown = await request(api.server).get(`/api/v1/accounts/${tenant.account.id}/agent_bots/${bot.id}`).set(as(tenant.adminToken));
    expect(shown.body).toEqual(bot);
  });

  it("lists the account's bots and the system bots, never another account's; a system bot shows no URL, token or secret", async () => {
    const mine = await createBot(tenant, { name: "Mine" });
    const theirs = await createBot(other, { name: "Theirs" });
    const system = await db.dataSource.manager.save(db.dataSource.manager.create(AgentBot, { accountId: null, name: "Global", outgoingUrl: "https://global.example.com" }));
    const res = await request(api.server).get(`/api/v1/accounts/${tenant.account.id}/agent_bots`).set(as(tenant.adminToken));
    expect(res.status).toBe(200);
    const ids = (res.body as Array<{ id: number }>).map((bot) => bot.id);
    expect(ids).toContain(mine.id);
    expect(ids).toContain(system.id);
    expect(ids).not.toContain(theirs.id);
    const shownSystem = (res.body as Array<Record<string, unknown>>).find((bot) => bot.id === system.id);
    expect(shownSystem).toEqual({ id: system.id, name: "Global", description: null, thumbnail: "", bot_type: "webhook", bot_config: {}, account_id: null, system_bot: true });
    // A system bot can be seen but not changed or deleted by an account.
    for (const [method, body] of [["patch", { name: "x" }], ["delete", undefined]] as const) {
      const attempt = await request(api.server)[method](`/api/v1/accounts/${tenant.account.id}/agent_bots/${system.id}`).set(as(tenant.adminToken)).send(body);
      expect([method, attempt.status, attempt.body]).toEqual([method, 404, { error: "Resource could not be found" }]);
    }
  });

  it("updates and deletes a bot; deleting it drops its token and its inbox connections", async () => {
    const bot = await createBot(tenant);
    const patched = await request(api.server).patch(`/api/v1/accounts/${tenant.account.id}/agent_bots/${bot.id}`).set(as(tenant.adminToken)).send({ name: "Renamed", outgoing_url: "https://new.example.com/h", secret: "ignored", access_token: "ignored" });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: bot.id, name: "Renamed", outgoing_url: "https://new.example.com/h", secret: bot.secret, access_token: bot.access_token });
    await request(api.server).post(`/api/v1/accounts/${tenant.account.id}/inboxes/${tenant.inbox.id}/set_agent_bot`).set(as(tenant.adminToken)).send({ agent_bot: bot.id }).expect(200);
    expect(await db.dataSource.getRepository(Webhook).countBy({ agentBotId: bot.id, webhookType: 2, enabled: true, url: "https://new.example.com/h" })).toBe(1);

    const deleted = await request(api.server).delete(`/api/v1/accounts/${tenant.account.id}/agent_bots/${bot.id}`).set(as(tenant.adminToken));
    expect([deleted.status, deleted.text]).toEqual([200, ""]);
    expect(await db.dataSource.getRepository(AgentBot).countBy({ id: bot.id })).toBe(0);
    expect(await db.dataSource.getRepository(AccessToken).countBy({ token: bot.access_token })).toBe(0);
    expect(await db.dataSource.getRepository(AgentBotInbox).countBy({ agentBotId: bot.id })).toBe(0);
    expect(await db.dataSource.getRepository(Webhook).countBy({ webhookType: 2, inboxId: tenant.inbox.id })).toBe(0);
  });

  it("connects, shows and disconnects an inbox's bot (set_agent_bot, agent_bot)", async () => {
    const bot = await createBot(tenant, { name: "Inbox bot", outgoing_url: "https://bot.example.com/inbox" });
    const base = `/api/v1/accounts/${tenant.account.id}/inboxes/${tenant.inbox.id}`;
    const none = await request(api.server).get(`${base}/agent_bot`).set(as(tenant.adminToken));
    expect([none.status, none.body]).toEqual([200, { agent_bot: {} }]);

    const set = await request(api.server).post(`${base}/set_agent_bot`).set(as(tenant.adminToken)).send({ agent_bot: bot.id });
    expect([set.status, set.text]).toEqual([200, ""]);
    const shown = await request(api.server).get(`${base}/agent_bot`).set(as(tenant.adminToken));
    expect(shown.body).toEqual({ agent_bot: bot });
    const mirror = await db.dataSource.getRepository(Webhook).findOneByOrFail({ inboxId: tenant.inbox.id, webhookType: 2 });
    expect(mirror).toMatchObject({ agentBotId: bot.id, url: "https://bot.example.com/inbox", secret: bot.secret, enabled: true, accountId: tenant.account.id });
    // The mirror row is not an account webhook: the webhook routes never show it.
    const listed = await request(api.server).get(`/api/v1/accounts/${tenant.account.id}/webhooks`).set(as(tenant.adminToken));
    expect(listed.body.payload.webhooks.map((w: { id: number }) => w.id)).not.toContain(mirror.id);
    const direct = await request(api.server).get(`/api/v1/accounts/${tenant.account.id}/webhooks/${mirror.id}`).set(as(tenant.adminToken));
    expect(direct.status).toBe(404);

    const unset = await request(api.server).post(`${base}/set_agent_bot`).set(as(tenant.adminToken)).send({ agent_bot: null });
    expect(unset.status).toBe(200);
    expect((await request(api.server).get(`${base}/agent_bot`).set(as(tenant.adminToken))).body).toEqual({ agent_bot: {} });
    expect(await db.dataSource.getRepository(Webhook).findOneByOrFail({ id: mirror.id })).toMatchObject({ enabled: false });
  });

  it("refuses a bot's own token on the management routes with Chatwoot's sentence", async () => {
    const bot = await createBot(tenant);
    for (const [method, path] of [
      ["get", `/api/v1/accounts/${tenant.account.id}/webhooks`],
      ["post", `/api/v1/accounts/${tenant.account.id}/webhooks`],
      ["get", `/api/v1/accounts/${tenant.account.id}/agent_bots`],
      ["post", `/api/v1/accounts/${tenant.account.id}/inboxes/${tenant.inbox.id}/set_agent_bot`],
    ] as const) {
      const res = await request(api.server)[method](path).set(as(bot.access_token)).send({});
      expect([method, path, res.status, res.body]).toEqual([method, path, 401, { error: "Access to this endpoint is not authorized for bots" }]);
    }
  });

  it("answers agents and strangers as the webhook routes do", async () => {
    const paths = [`/api/v1/accounts/${tenant.account.id}/agent_bots`, `/api/v1/accounts/${tenant.account.id}/inboxes/${tenant.inbox.id}/agent_bot`];
    for (const path of paths) {
      expect((await request(api.server).get(path).set(as(tenant.agentToken))).body).toEqual(NOT_ADMINISTRATOR);
      expect((await request(api.server).get(path).set(as(other.adminToken))).body).toEqual(NOT_IN_ACCOUNT);
      expect((await request(api.server).get(path).set(as("nope"))).status).toBe(401);
    }
    // The host's own inbox routes are not ours: nothing of the library answers them.
    const hostPath = await request(api.server).get(`/api/v1/accounts/${tenant.account.id}/inboxes`).set(as(tenant.agentToken));
    expect(hostPath.status).toBe(404);
    expect(hostPath.headers["content-type"] ?? "").not.toContain("application/json");
  });

  it("never reads or changes another account's bots or inboxes", async () => {
    const theirs = await createBot(other, { name: "Theirs" });
    const mine = await createBot(tenant, { name: "Mine" });
    const before = await snapshot();
    const attempts: Array<[string, string, object?]> = [
      ["get", `/api/v1/accounts/${tenant.account.id}/agent_bots/${theirs.id}`],
      ["patch", `/api/v1/accounts/${tenant.account.id}/agent_bots/${theirs.id}`, { name: "taken" }],
      ["put", `/api/v1/accounts/${tenant.account.id}/agent_bots/${theirs.id}`, { name: "taken" }],
      ["delete", `/api/v1/accounts/${tenant.account.id}/agent_bots/${theirs.id}`],
      ["get", `/api/v1/accounts/${tenant.account.id}/agent_bots/${theirs.id}/deliveries`],
      ["post", `/api/v1/accounts/${tenant.account.id}/inboxes/${other.inbox.id}/set_agent_bot`, { agent_bot: mine.id }],
      ["post", `/api/v1/accounts/${tenant.account.id}/inboxes/${tenant.inbox.id}/set_agent_bot`, { agent_bot: theirs.id }],
      ["get", `/api/v1/accounts/${tenant.account.id}/inboxes/${other.inbox.id}/agent_bot`],
      ["get", `/api/v1/accounts/${tenant.account.id}/inboxes/${other.inbox.id}/deliveries`],
    ];
    for (const [method, path, body] of attempts) {
      const res = await (request(api.server) as unknown as Record<string, (p: string) => request.Test>)[method](path).set(as(tenant.adminToken)).send(body);
      expect([method, path, res.status, res.body]).toEqual([method, path, 404, { error: "Resource could not be found" }]);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("answers every malformed body with a 4xx in Chatwoot's shape and changes nothing", async () => {
    const bot = await createBot(tenant, { name: "Target" });
    const before = await snapshot();
    const bots = `/api/v1/accounts/${tenant.account.id}/agent_bots`;
    const one = `${bots}/${bot.id}`;
    const setBot = `/api/v1/accounts/${tenant.account.id}/inboxes/${tenant.inbox.id}/set_agent_bot`;
    const cases: Array<[string, string, unknown, number, unknown]> = [
      ["post", bots, {}, 422, { error: "param is missing or the value is empty: agent_bot" }],
      ["post", bots, { description: "no name" }, 422, { message: "Name can't be blank", attributes: ["name"] }],
      ["post", bots, { name: "" }, 422, { message: "Name can't be blank", attributes: ["name"] }],
      ["post", bots, { name: "   " }, 422, { message: "Name can't be blank", attributes: ["name"] }],
      ["post", bots, { name: 42 }, 422, { message: "Name can't be blank", attributes: ["name"] }],
      ["post", bots, { name: "x".repeat(256) }, 422, { message: "Name is too long (maximum is 255 characters)", attributes: ["name"] }],
      ["post", bots, { name: "a\u0000b" }, 422, { message: "Name can't be blank", attributes: ["name"] }],
      ["post", bots, { name: "ok", description: "d".repeat(2001) }, 422, { message: "Description is too long (maximum is 2000 characters)", attributes: ["description"] }],
      ["post", bots, { name: "ok", outgoing_url: "javascript:alert(1)" }, 422, { message: "Outgoing url is invalid", attributes: ["outgoing_url"] }],
      ["post", bots, { name: "ok", outgoing_url: "http://127.0.0.1/hook" }, 422, { message: "Outgoing url is invalid", attributes: ["outgoing_url"], reason: PRIVATE_ADDRESS_REASON }],
      ["post", bots, { name: "ok", outgoing_url: "http://169.254.169.254/latest" }, 422, { message: "Outgoing url is invalid", attributes: ["outgoing_url"], reason: PRIVATE_ADDRESS_REASON }],
      ["post", bots, { name: "ok", outgoing_url: "http://localhost:3000/x" }, 422, { message: "Outgoing url is invalid", attributes: ["outgoing_url"], reason: PRIVATE_ADDRESS_REASON }],
      ["post", bots, { name: "ok", outgoing_url: ["https://a.example"] }, 422, { message: "Outgoing url is invalid", attributes: ["outgoing_url"] }],
      ["post", bots, { name: "ok", outgoing_url: `https://example.com/${"a".repeat(2100)}` }, 422, { message: "Outgoing url is invalid", attributes: ["outgoing_url"] }],
      ["post", bots, { name: "ok", bot_type: "csml" }, 422, { message: "Bot type is not included in the list", attributes: ["bot_type"] }],
      ["post", bots, { name: "ok", bot_config: "yes" }, 422, { message: "Bot config is invalid", attributes: ["bot_config"] }],
      ["post", bots, { name: "ok", bot_config: [1] }, 422, { message: "Bot config is invalid", attributes: ["bot_config"] }],
      ["post", bots, { name: "", outgoing_url: "ftp://x", bot_type: 7 }, 422, { message: "Name can't be blank, Outgoing url is invalid, Bot type is not included in the list", attributes: ["name", "outgoing_url", "bot_type"] }],
      ["post", bots, "[]", 422, { error: "param is missing or the value is empty: agent_bot" }],
      ["patch", one, { name: "" }, 422, { message: "Name can't be blank", attributes: ["name"] }],
      ["patch", one, { outgoing_url: "http://[::1]/x" }, 422, { message: "Outgoing url is invalid", attributes: ["outgoing_url"], reason: PRIVATE_ADDRESS_REASON }],
      ["patch", one, { unknown: true }, 422, { error: "param is missing or the value is empty: agent_bot" }],
      ["patch", `${bots}/abc`, { name: "x" }, 404, { error: "Resource could not be found" }],
      ["patch", `${bots}/99999999999`, { name: "x" }, 404, { error: "Resource could not be found" }],
      ["get", `${bots}/-1`, undefined, 404, { error: "Resource could not be found" }],
      ["post", setBot, { agent_bot: "abc" }, 404, { error: "Resource could not be found" }],
      ["post", setBot, { agent_bot: 2147483648 }, 404, { error: "Resource could not be found" }],
      ["post", setBot, { agent_bot: { id: 1 } }, 422, { message: "Agent bot is invalid", attributes: ["agent_bot"] }],
      ["post", setBot, { agent_bot: [bot.id] }, 422, { message: "Agent bot is invalid", attributes: ["agent_bot"] }],
      ["post", `/api/v1/accounts/${tenant.account.id}/inboxes/abc/set_agent_bot`, { agent_bot: bot.id }, 404, { error: "Resource could not be found" }],
    ];
    for (const [method, path, body, status, expected] of cases) {
      const req = (request(api.server) as unknown as Record<string, (p: string) => request.Test>)[method](path).set(as(tenant.adminToken));
      const res = typeof body === "string" ? await req.set("content-type", "application/json").send(body) : await req.send(body as object);
      expect([method, path, body, res.status, res.body]).toEqual([method, path, body, status, expected]);
      expect(isChatwootError(res.body)).toBe(true);
    }
    const malformed = await request(api.server).post(bots).set(as(tenant.adminToken)).set("content-type", "application/json").send("{not json");
    expect(malformed.status).toBe(400);
    expect(isChatwootError(malformed.body)).toBe(true);
    const huge = await request(api.server).post(bots).set(as(tenant.adminToken)).send({ name: "big", bot_config: { blob: "x".repeat(20_000) } });
    expect([huge.status, huge.body]).toEqual([422, { message: "Bot config is invalid", attributes: ["bot_config"] }]);
    expect(await snapshot()).toEqual(before);
  });

  it("applies the address policy's switch to outgoing_url as to webhook URLs", async () => {
    // One set of webhooks per DataSource: swap the file's harness for one that allows private targets.
    await api.close();
    const local = buildApi(db.dataSource, { allowPrivateNetwork: true });
    try {
      const res = await request(local.server).post(`/api/v1/accounts/${tenant.account.id}/agent_bots`).set(as(tenant.adminToken)).send({ name: "Local", outgoing_url: "http://127.0.0.1:4000/bot" });
      expect([res.status, res.body.outgoing_url]).toEqual([200, "http://127.0.0.1:4000/bot"]);
    } finally {
      await local.close();
      api = buildApi(db.dataSource);
    }
  });
});
