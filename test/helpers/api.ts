import { EventEmitter } from "node:events";
import { createServer, type Server } from "node:http";
import express, { type Express, type Router } from "express";
import type { DataSource } from "typeorm";
import type { WebhooksContext, WebhooksEventMap } from "../../src/context";
import { createWebhooks } from "../../src/create-webhooks";
import type { Account, Inbox } from "../../src/entities";
import { resolveOptions, type Logger, type WebhooksOptions } from "../../src/options";
import { createRouter } from "../../src/routes";
import { makeAccount, makeInbox, makeUser } from "./fixtures";

/** A host app with the management API mounted under `/api/v1`, and what its logger saw. */
export interface ApiHarness {
  app: Express;
  /** The app listening on 127.0.0.1, port 0: one server for a whole test file (faster than one per request). */
  server: Server;
  /** Every `logger.error` call: a request that ended in a 500 shows up here. */
  errors: Array<{ obj: object; msg?: string }>;
  /** Stop the server and detach from the DataSource (one set of webhooks per DataSource). */
  close(): Promise<void>;
}

/**
 * Build the app as a host would: `createWebhooks({ dataSource, notify: false })` and its router
 * under `/api/v1`, next to a route of the host's own. The dispatcher is not started.
 */
export function buildApi(dataSource: DataSource, options: Partial<WebhooksOptions> = {}): ApiHarness {
  const { logger, errors } = recordingLogger();
  // Explicit, so that SAFE_FETCH_ALLOW_PRIVATE_NETWORK in the environment cannot change a test.
  const webhooks = createWebhooks({ dataSource, notify: false, logger, allowPrivateNetwork: false, ...options });
  return harness(hostApp(webhooks.router), errors, () => webhooks.close());
}

/**
 * The same router on a context built by hand, whose `redeliver` is the given function: for tests
 * of what the redeliver route asks of the dispatcher and how it answers, without sending anything.
 */
export function buildApiWithRedeliver(dataSource: DataSource, redeliver: WebhooksContext["redeliver"]): ApiHarness {
  const { logger, errors } = recordingLogger();
  const context: WebhooksContext = {
    options: resolveOptions({ dataSource, notify: false, logger, allowPrivateNetwork: false }),
    events: new EventEmitter<WebhooksEventMap>(),
    redeliver,
  };
  return harness(hostApp(createRouter(context)), errors, async () => undefined);
}

function harness(app: Express, errors: ApiHarness["errors"], detach: () => Promise<void>): ApiHarness {
  const server = createServer(app).listen(0, "127.0.0.1");
  return {
    app,
    server,
    errors,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await detach();
    },
  };
}

function hostApp(router: Router): Express {
  const app = express();
  app.use("/api/v1", router);
  // A host route next to ours: the library's auth must not stand in front of it.
  app.get("/api/v1/accounts/:account_id/conversations", (_req, res) => {
    res.json({ host: true });
  });
  return app;
}

function recordingLogger(): { logger: Logger; errors: ApiHarness["errors"] } {
  const errors: ApiHarness["errors"] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (obj, msg) => errors.push({ obj, msg }),
  };
  return { logger, errors };
}

/** An account with an administrator, an agent and an inbox. */
export interface Tenant {
  account: Account;
  adminToken: string;
  agentToken: string;
  inbox: Inbox;
}

export async function makeTenant(dataSource: DataSource): Promise<Tenant> {
  const account = await makeAccount(dataSource);
  const { token: adminToken } = await makeUser(dataSource, account.id, "administrator");
  const { token: agentToken } = await makeUser(dataSource, account.id, "agent");
  const inbox = await makeInbox(dataSource, account.id);
  return { account, adminToken, agentToken, inbox };
}

/** Every row of a table, in id order, as PostgreSQL returns them: to prove nothing changed. */
export function dumpTable(dataSource: DataSource, table: "webhooks" | "webhook_deliveries" | "webhook_attempts" | "webhook_events"): Promise<unknown[]> {
  return dataSource.query(`SELECT * FROM "${table}" ORDER BY id`);
}

/**
 * Chatwoot's two error shapes: `{"error": string}` or `{"message": string, "attributes": string[]}`,
 * the latter with our `reason` after them when a URL is refused for its private address.
 */
export function isChatwootError(body: unknown): boolean {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  const keys = Object.keys(body).join(",");
  const value = body as Record<string, unknown>;
  if (keys === "error") return typeof value.error === "string" && value.error.length > 0;
  if (keys === "message,attributes,reason" && !(typeof value.reason === "string" && value.reason.startsWith("private address refused"))) return false;
  if (keys === "message,attributes" || keys === "message,attributes,reason") {
    return typeof value.message === "string" && Array.isArray(value.attributes) && value.attributes.length > 0 && value.attributes.every((a) => typeof a === "string");
  }
  return false;
}

/** Chatwoot's 401 for a member who is not an administrator, with our `reason` naming the role needed and the user's. */
export const NOT_ADMINISTRATOR = {
  error: "You are not authorized to do this action",
  reason: expect.stringMatching(/^this needs the role "administrator" in the account \(account_users\.role\); the user's role is "[a-z]+"$/),
};

/** Chatwoot's 401 for a user of another account, with our `reason`. */
export const NOT_IN_ACCOUNT = {
  error: "You are not authorized to access this account",
  reason: expect.stringMatching(/^the user is not a member of account \d+ \(no account_users row\); the webhook routes need the role "administrator" there$/),
};
