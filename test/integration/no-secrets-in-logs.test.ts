/**
 * A database error on a management route must not put the caller's access token in the logs:
 * TypeORM's QueryFailedError carries the query's parameters (for the auth query, the account id
 * and the token), and loggers print every property of an error.
 */
import { inspect } from "node:util";
import request from "supertest";
import type { Logger } from "../../src/options";
import { redactError } from "../../src/redact";
import { buildApi, makeTenant, type ApiHarness } from "../helpers/api";
import { createTestDatabase, type TestDatabase } from "../helpers/database";

describe("no secrets in logs", () => {
  let db: TestDatabase;
  let api: ApiHarness;
  const logged: unknown[] = [];
  const printed: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase("no_secrets_in_logs");
    await makeTenant(db.dataSource);
    const capture = (obj: object, msg?: string) => {
      logged.push(obj);
      printed.push(`${msg ?? ""} ${inspect(obj, { depth: 10, showHidden: true })}`);
    };
    const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
    api = buildApi(db.dataSource, { logger });
    // Every route's first query (the token lookup) now fails in the database.
    await db.dataSource.query(`ALTER TABLE access_tokens RENAME TO access_tokens_moved`);
  });

  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  it("logs the failure of every route without the token it was given", async () => {
    const token = "tok_do_not_log_me_0123456789abcdef";
    const routes: Array<[string, string]> = [
      ["get", "/api/v1/accounts/1/webhooks"],
      ["post", "/api/v1/accounts/1/webhooks"],
      ["get", "/api/v1/accounts/1/webhooks/1"],
      ["patch", "/api/v1/accounts/1/webhooks/1"],
      ["put", "/api/v1/accounts/1/webhooks/1"],
      ["delete", "/api/v1/accounts/1/webhooks/1"],
      ["get", "/api/v1/accounts/1/webhooks/1/deliveries"],
      ["get", "/api/v1/accounts/1/webhooks/1/deliveries/0b6f6c1e-2f7a-4f8e-9d7e-3c2a1b0f9e8d"],
      ["post", "/api/v1/accounts/1/webhooks/1/deliveries/0b6f6c1e-2f7a-4f8e-9d7e-3c2a1b0f9e8d/redeliver"],
      ["get", "/api/v1/accounts/1/agent_bots"],
      ["post", "/api/v1/accounts/1/agent_bots"],
      ["patch", "/api/v1/accounts/1/agent_bots/1"],
      ["delete", "/api/v1/accounts/1/agent_bots/1"],
      ["get", "/api/v1/accounts/1/agent_bots/1/deliveries"],
      ["post", "/api/v1/accounts/1/inboxes/1/set_agent_bot"],
      ["get", "/api/v1/accounts/1/inboxes/1/agent_bot"],
      ["get", "/api/v1/accounts/1/inboxes/1/deliveries"],
    ];
    for (const [method, path] of routes) {
      for (const header of [{ api_access_token: token }, { authorization: `Bearer ${token}` }]) {
        const res = await (request(api.server) as unknown as Record<string, (p: string) => request.Test>)[method](path).set(header).send({ webhook: { url: "https://example.com" } });
        expect([method, path, res.status, res.body]).toEqual([method, path, 500, { error: "Internal server error" }]);
      }
    }
    expect(logged.length).toBe(routes.length * 2);
    // The failure is still useful: the database's message and the SQL text are there.
    expect(printed[0]).toContain('relation "access_tokens" does not exist');
    for (const line of printed) expect(line).not.toContain(token);
  });

  it("redacts nested causes and keeps what helps", () => {
    const inner = Object.assign(new Error("inner"), { parameters: ["secret-inner"], code: "42P01" });
    const outer = Object.assign(new Error("outer"), { parameters: ["secret-outer"], query: "SELECT $1", cause: inner });
    const copy = redactError(outer as Error) as unknown as Record<string, unknown>;
    const text = inspect(copy, { depth: 10, showHidden: true });
    expect(text).not.toContain("secret-");
    expect(copy).toMatchObject({ message: "outer", query: "SELECT $1", cause: { message: "inner", code: "42P01" } });
    const plain = new Error("plain");
    expect(redactError(plain)).toBe(plain);
  });
});
