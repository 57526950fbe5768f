import { randomUUID } from "node:crypto";
import { PRIVATE_ADDRESS_REASON } from "../../src/routes/target-url";
import { gzipSync } from "node:zlib";
import request from "supertest";
import { Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent } from "../../src/entities";
import { buildApi, dumpTable, isChatwootError, makeTenant, type ApiHarness, type Tenant, NOT_IN_ACCOUNT } from "../helpers/api";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeWebhook } from "../helpers/fixtures";

/** The ids a case may point at. */
interface Ids {
  account: number;
  webhook: number;
  delivery: string;
  foreignInbox: number;
}

interface AbuseCase {
  name: string;
  method?: "get" | "post" | "patch" | "put" | "delete";
  path?: (ids: Ids) => string;
  /** A JSON value (sent as application/json) or a function of the ids returning one. */
  body?: unknown | ((ids: Ids) => unknown);
  /** Raw bytes instead of `body`, with their own Content-Type. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  status: number;
  /** The exact answer, where it is known. */
  expected?: object;
}

const URL_INVALID = { message: "Url is invalid", attributes: ["url"] };
/** A well-formed URL whose host is a literal private address: Chatwoot's message, and (ours) why. */
const URL_PRIVATE = { ...URL_INVALID, reason: PRIVATE_ADDRESS_REASON };
const NAME_INVALID = { message: "Name is invalid", attributes: ["name"] };
const NAME_TOO_LONG = { message: "Name is too long (maximum is 255 characters)", attributes: ["name"] };
const SUBSCRIPTIONS_INVALID = { message: "Subscriptions Invalid events", attributes: ["subscriptions"] };
const INBOX_INVALID = { message: "Inbox is invalid", attributes: ["inbox_id"] };
const ENABLED_INVALID = { message: "Enabled is invalid", attributes: ["enabled"] };
const PARAM_MISSING = { error: "param is missing or the value is empty: webhook" };
const NOT_FOUND = { error: "Resource could not be found" };

const list = (ids: Ids) => `/api/v1/accounts/${ids.account}/webhooks`;
const one = (ids: Ids) => `${list(ids)}/${ids.webhook}`;
const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
const url = (value: unknown) => ({ url: value });
const withUrl = (fields: object) => ({ url: "https://valid.example.com/hook", ...fields });

const CASES: AbuseCase[] = [
  // url: wrong JSON types
  { name: "url as a number", body: url(123), status: 422, expected: URL_INVALID },
  { name: "url as a boolean", body: url(true), status: 422, expected: URL_INVALID },
  { name: "url as an array of strings", body: url(["https://example.com"]), status: 422, expected: URL_INVALID },
  { name: "url as an object", body: url({ href: "https://example.com" }), status: 422, expected: URL_INVALID },
  { name: "url null", body: url(null), status: 422, expected: URL_INVALID },
  { name: "url empty", body: url(""), status: 422, expected: URL_INVALID },
  // url: format
  { name: "url of 3000 characters", body: url(`https://example.com/${"a".repeat(2980)}`), status: 422, expected: URL_INVALID },
  // Under 2,048 characters but 6 KB of UTF-8: too big for the unique index; must be a 422, not a 500.
  { name: "url of 2,040 characters in CJK", body: url(`https://example.com/${"漢".repeat(2020)}`), status: 422, expected: URL_INVALID },
  // Credentials are accepted (sent as Basic auth), but only a user name with an optional password, and one @.
  { name: "url with a password and no user", body: url("https://:pass@example.com/hook"), status: 422, expected: URL_INVALID },
  { name: "url with two @ in its credentials", body: url("https://user@name:pass@example.com/hook"), status: 422, expected: URL_INVALID },
  { name: "url with an empty userinfo @", body: url("https://@example.com/hook"), status: 422, expected: URL_INVALID },
  { name: "url with a space in the host", body: url("https://exa mple.com/"), status: 422, expected: URL_INVALID },
  { name: "url with a space in the path", body: url("https://example.com/a b"), status: 422, expected: URL_INVALID },
  { name: "url with leading whitespace", body: url(" https://example.com/"), status: 422, expected: URL_INVALID },
  { name: "url with NUL", body: url("https://example.com/\u0000"), status: 422, expected: URL_INVALID },
  { name: "url with a newline", body: url("https://example.com/\nX-Injected: 1"), status: 422, expected: URL_INVALID },
  { name: "url with a tab", body: url("https://example.com/\thook"), status: 422, expected: URL_INVALID },
  { name: "url with CRLF", body: url("https://example.com/hook\r\n"), status: 422, expected: URL_INVALID },
  { name: "url with DEL", body: url("https://example.com/\u007f"), status: 422, expected: URL_INVALID },
  { name: "url with a zero-width space", body: url("https://exa\u200bmple.com/"), status: 422, expected: URL_INVALID },
  { name: "url with a backslash", body: url("https://example.com\\@evil.example/"), status: 422, expected: URL_INVALID },
  { name: "url without //", body: url("https:example.com/hook"), status: 422, expected: URL_INVALID },
  { name: "url ftp:", body: url("ftp://example.com/hook"), status: 422, expected: URL_INVALID },
  { name: "url file:", body: url("file:///etc/passwd"), status: 422, expected: URL_INVALID },
  { name: "url data:", body: url("data:text/plain,hello"), status: 422, expected: URL_INVALID },
  { name: "url javascript:", body: url("javascript:alert(1)"), status: 422, expected: URL_INVALID },
  { name: "url with an out-of-range port", body: url("https://example.com:99999/"), status: 422, expected: URL_INVALID },
  // url: literal forbidden addresses
  { name: "url http://10.0.0.1", body: url("http://10.0.0.1/hook"), status: 422, expected: URL_PRIVATE },
  { name: "url http://127.0.0.1", body: url("http://127.0.0.1/hook"), status: 422, expected: URL_PRIVATE },
  { name: "url http://[::1]", body: url("http://[::1]/hook"), status: 422, expected: URL_PRIVATE },
  { name: "url cloud metadata", body: url("http://169.254.169.254/latest/meta-data"), status: 422, expected: URL_PRIVATE },
  { name: "url http://0.0.0.0", body: url("http://0.0.0.0/"), status: 422, expected: URL_PRIVATE },
  { name: "url IPv4-mapped loopback", body: url("http://[::ffff:127.0.0.1]/"), status: 422, expected: URL_PRIVATE },
  { name: "url unique-local IPv6", body: url("http://[fc00::1]/"), status: 422, expected: URL_PRIVATE },
  { name: "url hex loopback", body: url("http://0x7f000001/"), status: 422, expected: URL_PRIVATE },
  { name: "url octal loopback", body: url("http://017700000001/"), status: 422, expected: URL_PRIVATE },
  { name: "url short-form loopback", body: url("http://127.1/"), status: 422, expected: URL_PRIVATE },
  { name: "url 192.168.x with port", body: url("https://192.168.1.10:8443/"), status: 422, expected: URL_PRIVATE },
  { name: "url localhost", body: url("http://localhost:3000/"), status: 422, expected: URL_PRIVATE },
  // name
  { name: "name as a number", body: withUrl({ name: 5 }), status: 422, expected: NAME_INVALID },
  { name: "name as an array", body: withUrl({ name: ["a"] }), status: 422, expected: NAME_INVALID },
  { name: "name as an object", body: withUrl({ name: { first: "a" } }), status: 422, expected: NAME_INVALID },
  { name: "name as a boolean", body: withUrl({ name: true }), status: 422, expected: NAME_INVALID },
  { name: "name with NUL", body: withUrl({ name: "a\u0000b" }), status: 422, expected: NAME_INVALID },
  { name: "name with a lone surrogate", raw: '{"url":"https://valid.example.com/hook","name":"a\\ud800b"}', headers: { "Content-Type": "application/json" }, status: 422, expected: NAME_INVALID },
  { name: "name of 256 characters", body: withUrl({ name: "n".repeat(256) }), status: 422, expected: NAME_TOO_LONG },
  { name: "name of 10,000 characters", body: withUrl({ name: "n".repeat(10_000) }), status: 422, expected: NAME_TOO_LONG },
  { name: "name nested 20,000 arrays deep", raw: `{"url":"https://valid.example.com/hook","name":${nested(20_000)}}`, headers: { "Content-Type": "application/json" }, status: 422, expected: NAME_INVALID },
  // subscriptions
  { name: "10,000 subscriptions", body: withUrl({ subscriptions: Array.from({ length: 10_000 }, () => "message_created") }), status: 422, expected: SUBSCRIPTIONS_INVALID },
  { name: "subscriptions as a string", body: withUrl({ subscriptions: "message_created" }), status: 422, expected: SUBSCRIPTIONS_INVALID },
  { name: "subscriptions as an object", body: withUrl({ subscriptions: { 0: "message_created" } }), status: 422, expected: SUBSCRIPTIONS_INVALID },
  { name: "subscriptions as a number", body: withUrl({ subscriptions: 7 }), status: 422, expected: SUBSCRIPTIONS_INVALID },
  { name: "subscriptions [null]", body: withUrl({ subscriptions: [null] }), status: 422, expected: SUBSCRIPTIONS_INVALID },
  { name: "subscriptions nested arrays", body: withUrl({ subscriptions: [["message_created"]] }), status: 422, expected: SUBSCRIPTIONS_INVALID },
  { name: "subscriptions with SQL", body: withUrl({ subscriptions: ["message_created'; DROP TABLE webhooks; --"] }), status: 422, expected: SUBSCRIPTIONS_INVALID },
  { name: "subscriptions empty", body: withUrl({ subscriptions: [] }), status: 422, expected: SUBSCRIPTIONS_INVALID },
  { name: "subscriptions in another case", body: withUrl({ subscriptions: ["MESSAGE_CREATED"] }), status: 422, expected: SUBSCRIPTIONS_INVALID },
  // inbox_id
  { name: "inbox_id as letters", body: withUrl({ inbox_id: "abc" }), status: 422, expected: INBOX_INVALID },
  { name: "inbox_id as a float", body: withUrl({ inbox_id: 1.5 }), status: 422, expected: INBOX_INVALID },
  { name: "inbox_id negative", body: withUrl({ inbox_id: -1 }), status: 422, expected: INBOX_INVALID },
  { name: "inbox_id beyond int4", body: withUrl({ inbox_id: 99_999_999_999 }), status: 422, expected: INBOX_INVALID },
  { name: "inbox_id 1e309 (Infinity)", raw: '{"url":"https://valid.example.com/hook","inbox_id":1e309}', headers: { "Content-Type": "application/json" }, status: 422, expected: INBOX_INVALID },
  { name: "inbox_id as an object", body: withUrl({ inbox_id: {} }), status: 422, expected: INBOX_INVALID },
  { name: "inbox_id of another account", body: (ids: Ids) => withUrl({ inbox_id: ids.foreignInbox }), status: 422, expected: INBOX_INVALID },
  // enabled
  { name: "enabled as a string", body: withUrl({ enabled: "true" }), status: 422, expected: ENABLED_INVALID },
  { name: "enabled as a number", body: withUrl({ enabled: 1 }), status: 422, expected: ENABLED_INVALID },
  { name: "enabled null", body: withUrl({ enabled: null }), status: 422, expected: ENABLED_INVALID },
  { name: "enabled as an array", body: withUrl({ enabled: [true] }), status: 422, expected: ENABLED_INVALID },
  // body shape and encoding
  { name: "webhook as an array", body: { webhook: [{ url: "https://valid.example.com/hook" }] }, status: 422, expected: PARAM_MISSING },
  { name: "top-level array", body: [{ url: "https://valid.example.com/hook" }], status: 422, expected: PARAM_MISSING },
  // Chatwoot (Rails' wrapping, then strong parameters): these columns are wrapped, then dropped; a webhook without url.
  { name: "only ignored keys", body: { secret: "s", account_id: 1, webhook_type: 1 }, status: 422, expected: URL_INVALID },
  { name: "only unknown keys", body: { foo: "s", bar: 1 }, status: 422, expected: PARAM_MISSING },
  { name: "__proto__ smuggling", raw: '{"__proto__":{"url":"https://valid.example.com/hook"},"constructor":{"prototype":{"url":"x"}}}', headers: { "Content-Type": "application/json" }, status: 422, expected: PARAM_MISSING },
  { name: "body nested 500,000 arrays deep", raw: nested(500_000), headers: { "Content-Type": "application/json" }, status: 422, expected: PARAM_MISSING },
  { name: "JSON null", raw: "null", headers: { "Content-Type": "application/json" }, status: 400 },
  { name: "JSON number", raw: "123", headers: { "Content-Type": "application/json" }, status: 400 },
  { name: "broken JSON", raw: '{"url": "https://valid.example.com/hook",', headers: { "Content-Type": "application/json" }, status: 400 },
  { name: "single-quoted JSON", raw: "{'url': 'https://valid.example.com/hook'}", headers: { "Content-Type": "application/json" }, status: 400 },
  { name: "a 1.1 MB body", body: withUrl({ name: "x".repeat(1_100_000) }), status: 413 },
  { name: "JSON sent as text/plain", raw: '{"url":"https://valid.example.com/hook"}', headers: { "Content-Type": "text/plain" }, status: 422, expected: PARAM_MISSING },
  { name: "a form post of a scalar webhook", raw: "webhook=https%3A%2F%2Fvalid.example.com%2Fhook", headers: { "Content-Type": "application/x-www-form-urlencoded" }, status: 422, expected: PARAM_MISSING },
  { name: "a form post with a javascript: url", raw: "webhook[url]=javascript%3Aalert(1)", headers: { "Content-Type": "application/x-www-form-urlencoded" }, status: 422, expected: URL_INVALID },
  { name: "a form post with an unknown event", raw: "webhook[url]=https%3A%2F%2Fvalid.example.com%2Fhook&webhook[subscriptions][]=nope", headers: { "Content-Type": "application/x-www-form-urlencoded" }, status: 422, expected: SUBSCRIPTIONS_INVALID },
  { name: "a form post nested too deeply", raw: "webhook[a][b][c][d][e][f]=1", headers: { "Content-Type": "application/x-www-form-urlencoded" }, status: 400 },
  { name: "a form post with 1,000 fields", raw: Array.from({ length: 1000 }, (_, i) => `webhook[subscriptions][]=e${i}`).join("&"), headers: { "Content-Type": "application/x-www-form-urlencoded" }, status: 413 },
  { name: "a form post with __proto__", raw: "__proto__[url]=https%3A%2F%2Fvalid.example.com%2Fhook&webhook[__proto__][url]=x", headers: { "Content-Type": "application/x-www-form-urlencoded" }, status: 422, expected: PARAM_MISSING },
  { name: "no Content-Type", raw: Buffer.from('{"url":"https://valid.example.com/hook"}'), headers: { "Content-Type": "" }, status: 422, expected: PARAM_MISSING },
  { name: "a Latin-1 charset", raw: '{"url":"https://valid.example.com/hook"}', headers: { "Content-Type": "application/json; charset=latin1" }, status: 415 },
  { name: "an unknown Content-Encoding", raw: '{"url":"https://valid.example.com/hook"}', headers: { "Content-Type": "application/json", "Content-Encoding": "compress" }, status: 415 },
  { name: "gzip that is not gzip", raw: "definitely not gzip", headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" }, status: 400 },
  { name: "gzip bomb over the limit", raw: gzipSync(Buffer.from(JSON.stringify(withUrl({ name: " ".repeat(5_000_000) })))), headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" }, status: 413 },
  // ids in the path
  ...["-1", "0", "abc", "1.5", "1e3", "2147483648", "99999999999999999999", "%20", "'%20OR%201=1", "0x10"].flatMap((id): AbuseCase[] => [
    { name: `GET webhook id ${id}`, method: "get", path: (ids) => `${list(ids)}/${id}`, status: 404, expected: NOT_FOUND },
    { name: `PATCH webhook id ${id}`, method: "patch", path: (ids) => `${list(ids)}/${id}`, body: { name: "x" }, status: 404, expected: NOT_FOUND },
    { name: `DELETE webhook id ${id}`, method: "delete", path: (ids) => `${list(ids)}/${id}`, status: 404, expected: NOT_FOUND },
    { name: `GET deliveries of webhook ${id}`, method: "get", path: (ids) => `${list(ids)}/${id}/deliveries`, status: 404, expected: NOT_FOUND },
    // Chatwoot's Account.find after authentication: 404.
    { name: `account id ${id}`, method: "get", path: () => `/api/v1/accounts/${id}/webhooks`, status: 404, expected: NOT_FOUND },
  ]),
  { name: "PUT with a float id", method: "put", path: (ids) => `${list(ids)}/1.0`, body: { name: "x" }, status: 404, expected: NOT_FOUND },
  { name: "a path that is not valid percent-encoding", method: "get", path: (ids) => `${list(ids)}/%E0%A4%A`, status: 400 },
  { name: "an account id that is not valid percent-encoding", method: "get", path: () => "/api/v1/accounts/%E0/webhooks", status: 400 },
  { name: "a delivery id that is not valid percent-encoding", method: "post", path: (ids) => `${one(ids)}/deliveries/%FF/redeliver`, status: 400 },
  { name: "delivery id not a uuid", method: "get", path: (ids) => `${one(ids)}/deliveries/1`, status: 404, expected: NOT_FOUND },
  { name: "delivery id with SQL", method: "get", path: (ids) => `${one(ids)}/deliveries/'%20OR%20'1'='1`, status: 404, expected: NOT_FOUND },
  { name: "redeliver a non-uuid", method: "post", path: (ids) => `${one(ids)}/deliveries/xyz/redeliver`, status: 404, expected: NOT_FOUND },
  { name: "redeliver an unknown uuid", method: "post", path: (ids) => `${one(ids)}/deliveries/${randomUUID()}/redeliver`, status: 404, expected: NOT_FOUND },
  { name: "deliveries with an unknown status", method: "get", path: (ids) => `${one(ids)}/deliveries?status=all`, status: 422, expected: { message: "Status is invalid", attributes: ["status"] } },
  { name: "deliveries with page -5", method: "get", path: (ids) => `${one(ids)}/deliveries?page=-5`, status: 422, expected: { message: "Page is invalid", attributes: ["page"] } },
  // updates of an existing webhook with bad values
  { name: "PATCH url to a private address", method: "patch", path: one, body: url("http://10.0.0.1/"), status: 422, expected: URL_PRIVATE },
  { name: "PATCH url null", method: "patch", path: one, body: url(null), status: 422, expected: URL_INVALID },
  { name: "PUT name as an object", method: "put", path: one, body: { name: {} }, status: 422, expected: NAME_INVALID },
  { name: "PATCH with an empty body", method: "patch", path: one, body: {}, status: 422, expected: PARAM_MISSING },
  { name: "PATCH with broken JSON", method: "patch", path: one, raw: "{", headers: { "Content-Type": "application/json" }, status: 400 },
];

/** Valid names that look like attacks: stored and returned verbatim. */
const HOSTILE_NAMES = [
  "Robert'); DROP TABLE webhooks;--",
  "' OR '1'='1",
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "{{7*7}} ${7*7} #{7*7}",
  "${jndi:ldap://example.com/a}",
  "\\\"; SELECT pg_sleep(10); --",
  "名前 ✓ 🚀 مرحبا",
  "line one\nline two\ttabbed",
  "%s%s%s%n",
];

describe("management API under abuse", () => {
  let db: TestDatabase;
  let api: ApiHarness;
  let acme: Tenant;
  let other: Tenant;
  let ids: Ids;
  let acmeWebhook: Webhook;
  let acmeDelivery: WebhookDelivery;
  let otherWebhook: Webhook;
  let otherDelivery: WebhookDelivery;

  const asAdmin = (tenant: Tenant) => ({ api_access_token: tenant.adminToken });

  async function deliveryOf(webhook: Webhook): Promise<WebhookDelivery> {
    const manager = db.dataSource.manager;
    const event = await manager.save(WebhookEvent, { accountId: webhook.accountId, event: "message_created", body: '{"event":"message_created"}' });
    const delivery = await manager.save(manager.create(WebhookDelivery, { id: randomUUID(), eventId: event.id, webhookId: webhook.id, accountId: webhook.accountId, event: "message_created", status: "failed", attempts: 1 }));
    await manager.insert(WebhookAttempt, { deliveryId: delivery.id, attemptedAt: new Date(), durationMs: 3, statusCode: 500, error: "HTTP 500", responseBody: "secret response of this account", trigger: "scheduled" });
    return delivery;
  }

  async function dumpAll(): Promise<unknown[]> {
    return [await dumpTable(db.dataSource, "webhooks"), await dumpTable(db.dataSource, "webhook_deliveries"), await dumpTable(db.dataSource, "webhook_attempts")];
  }

  function send(harness: ApiHarness, c: AbuseCase, target: Ids): request.Test {
    const method = c.method ?? "post";
    const path = (c.path ?? list)(target);
    let req = request(harness.server)[method](path).set(asAdmin(acme));
    for (const [name, value] of Object.entries(c.headers ?? {})) req = req.set(name, value);
    // superagent would JSON-encode a Buffer sent as application/json: keep the bytes as they are.
    if (Buffer.isBuffer(c.raw)) return req.serialize((bytes: unknown) => bytes as string).send(c.raw);
    if (c.raw !== undefined) return req.send(c.raw);
    if (c.body !== undefined) return req.send((typeof c.body === "function" ? (c.body as (ids: Ids) => unknown)(target) : c.body) as object);
    return req;
  }

  beforeAll(async () => {
    db = await createTestDatabase("api_abuse");
    api = buildApi(db.dataSource);
    acme = await makeTenant(db.dataSource);
    other = await makeTenant(db.dataSource);
    // Loopback URLs on a closed port: nothing here may reach the outside, even through a bug.
    acmeWebhook = await makeWebhook(db.dataSource, acme.account.id, "http://127.0.0.1:9/acme", { name: "Acme hook", inboxId: acme.inbox.id });
    otherWebhook = await makeWebhook(db.dataSource, other.account.id, "http://127.0.0.1:9/other", { name: "Other hook" });
    acmeDelivery = await deliveryOf(acmeWebhook);
    otherDelivery = await deliveryOf(otherWebhook);
    ids = { account: acme.account.id, webhook: acmeWebhook.id, delivery: acmeDelivery.id, foreignInbox: other.inbox.id };
  });

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it(`has a table of at least 50 malformed requests (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))("rejects %s with a 4xx in Chatwoot's shape and changes nothing", async (_name, c) => {
    const before = await dumpAll();
    const res = await send(api, c, ids);
    expect(res.status).toBe(c.status);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(isChatwootError(res.body)).toBe(true);
    if (c.expected) expect(res.body).toEqual(c.expected);
    expect(await dumpAll()).toEqual(before);
    expect(api.errors).toEqual([]);
    expect(({} as Record<string, unknown>).url).toBeUndefined();
  });

  it.each(HOSTILE_NAMES.map((name, index) => [JSON.stringify(name), name, index] as const))("stores the valid name %s verbatim", async (_label, name, index) => {
    const created = await request(api.server).post(`/api/v1/accounts/${acme.account.id}/webhooks`).set(asAdmin(acme)).send({ url: `https://names.example.com/${index}?q='%20OR%201=1--`, name });
    expect(created.status).toBe(200);
    expect(created.body.payload.webhook.name).toBe(name);
    const id = created.body.payload.webhook.id;
    expect((await db.dataSource.getRepository(Webhook).findOneByOrFail({ id })).name).toBe(name);
    const shown = await request(api.server).get(`/api/v1/accounts/${acme.account.id}/webhooks/${id}`).set(asAdmin(acme));
    expect(shown.body.payload.webhook.name).toBe(name);
    expect(shown.body.payload.webhook.url).toBe(`https://names.example.com/${index}?q='%20OR%201=1--`);
    await request(api.server).delete(`/api/v1/accounts/${acme.account.id}/webhooks/${id}`).set(asAdmin(acme)).expect(200);
    expect(api.errors).toEqual([]);
  });

  describe("another account's administrator", () => {
    type Route = { method: "get" | "post" | "patch" | "put" | "delete"; path: string; body?: object };
    const routes = (account: number, webhook: number, delivery: string): Route[] => [
      { method: "get", path: `/api/v1/accounts/${account}/webhooks` },
      { method: "post", path: `/api/v1/accounts/${account}/webhooks`, body: { url: "https://stolen.example.com/" } },
      { method: "get", path: `/api/v1/accounts/${account}/webhooks/${webhook}` },
      { method: "patch", path: `/api/v1/accounts/${account}/webhooks/${webhook}`, body: { url: "https://stolen.example.com/", name: "Mine", enabled: false } },
      { method: "put", path: `/api/v1/accounts/${account}/webhooks/${webhook}`, body: { url: "https://stolen.example.com/", subscriptions: ["message_created"] } },
      { method: "delete", path: `/api/v1/accounts/${account}/webhooks/${webhook}` },
      { method: "get", path: `/api/v1/accounts/${account}/webhooks/${webhook}/deliveries` },
      { method: "get", path: `/api/v1/accounts/${account}/webhooks/${webhook}/deliveries/${delivery}` },
      { method: "post", path: `/api/v1/accounts/${account}/webhooks/${webhook}/deliveries/${delivery}/redeliver` },
    ];

    async function expectUntouched(run: () => Promise<request.Response[]>, status: number, body: object): Promise<void> {
      const before = await dumpAll();
      const responses = await run();
      for (const res of responses) {
        const { method, path } = (res as unknown as { req: { method: string; path: string } }).req;
        expect([method, path, res.status, res.body]).toEqual([method, path, status, body]);
        // Nothing of acme's leaks into the answer.
        expect(res.text).not.toContain(acmeWebhook.secret);
        expect(res.text).not.toContain("127.0.0.1:9/acme");
        expect(res.text).not.toContain("secret response");
      }
      expect(await dumpAll()).toEqual(before);
      expect(api.errors).toEqual([]);
    }

    const call = (route: Route, token: string) => {
      const req = request(api.server)[route.method](route.path).set("api_access_token", token);
      return route.body ? req.send(route.body) : req;
    };

    it("gets 401 on every route of acme's account path", async () => {
      await expectUntouched(
        () => Promise.all(routes(acme.account.id, acmeWebhook.id, acmeDelivery.id).map((route) => call(route, other.adminToken))),
        401,
        NOT_IN_ACCOUNT,
      );
    });

    it("gets 404 for acme's webhook and delivery ids under its own account path", async () => {
      const ownPath = routes(other.account.id, acmeWebhook.id, acmeDelivery.id).filter((route) => route.path.includes(`/webhooks/${acmeWebhook.id}`));
      // Acme's delivery through the other account's own webhook, too.
      const viaOwnWebhook = routes(other.account.id, otherWebhook.id, acmeDelivery.id).filter((route) => route.path.includes("/deliveries/"));
      expect(ownPath.length + viaOwnWebhook.length).toBe(9);
      await expectUntouched(() => Promise.all([...ownPath, ...viaOwnWebhook].map((route) => call(route, other.adminToken))), 404, NOT_FOUND);
    });

    it("still reaches its own webhook and delivery (the routes above are not simply broken)", async () => {
      const shown = await request(api.server).get(`/api/v1/accounts/${other.account.id}/webhooks/${otherWebhook.id}/deliveries/${otherDelivery.id}`).set(asAdmin(other));
      expect(shown.status).toBe(200);
      expect(shown.body.payload.delivery.id).toBe(otherDelivery.id);
    });
  });
});
