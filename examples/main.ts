import "reflect-metadata";
import type { AddressInfo } from "node:net";
import { createWebhooks, type Logger } from "../src";
import { createApp, settingsPagePath } from "./app";
import { readConfig, type DemoConfig } from "./config";
import { openDatabase } from "./database";
import { createConsoleLogger } from "./logger";
import { seed, type SeededUser } from "./seed";
import { onShutdownSignal } from "./shutdown";

/** `npm start`: the demo host app (see examples/README.md and the project's demo contract). */
async function main(): Promise<void> {
  const config = readConfig(process.env);
  const logger = createConsoleLogger(config.logLevel);
  // What is open so far, closed in reverse order (server, then dispatcher, then database); a
  // signal during start-up closes what exists and exits cleanly too.
  const closers: Array<() => Promise<void>> = [];
  const shutdown = onShutdownSignal(async (signal) => {
    logger.info({}, `${signal} received: closing the server, finishing deliveries in flight (at most 10 s)`);
    for (const close of closers.reverse()) await close();
    logger.info({}, "stopped");
  });
  try {
    await start(config, logger, closers);
  } catch (error) {
    if (!shutdown.stopping()) throw error;
  }
}

async function start(config: DemoConfig, logger: Logger, closers: Array<() => Promise<void>>): Promise<void> {
  const database = await openDatabase(config);
  closers.push(() => database.close());
  logger.info({}, database.kind === "embedded" ? `embedded PostgreSQL (PGlite) in ${database.location}; migrations applied` : `PostgreSQL at ${database.location}; migrations applied`);
  const seeded = await seed(database.dataSource, config.tokens);
  printTokens(logger, Object.values(seeded.users));

  const webhooks = createWebhooks({ dataSource: database.dataSource, allowPrivateNetwork: true, inboxEvents: true, logger });
  logger.warn({}, "demo setting: webhooks may target private and loopback addresses (allowPrivateNetwork: true); the library's default refuses them");
  webhooks.events.on("delivery.succeeded", (record) => logger.info({ webhook: record.webhookId, status: record.status, ms: record.durationMs }, `delivered ${record.event}`));
  webhooks.events.on("delivery.retry_scheduled", (record) => logger.warn({ webhook: record.webhookId, status: record.status, error: record.error, next: record.nextAttemptAt }, `${record.event} failed, will retry`));
  webhooks.events.on("delivery.failed", (record) => logger.warn({ webhook: record.webhookId, status: record.status, error: record.error }, `${record.event} failed for good`));
  webhooks.events.on("webhook.disabled", (info) => logger.warn(info, "webhook disabled"));
  webhooks.events.on("dispatcher.error", (error) => logger.error({ err: error }, "dispatcher error"));

  await webhooks.dispatcher.start();
  closers.push(() => withDeadline(webhooks.dispatcher.stop(10_000), 11_000, () => logger.warn({}, "deliveries still in flight after 10 s; they will be retried after their lease expires")));

  const app = createApp({ dataSource: database.dataSource, webhooks, logger });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  closers.push(() => closeServer(server));

  const { port } = server.address() as AddressInfo;
  const origin = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  // One line, printed last, says both: tools wait for "listening on" and then find everything.
  logger.info({}, `listening on ${origin} (webhook settings page: ${origin}${settingsPagePath(seeded.accountId)})`);
}

function printTokens(logger: Logger, users: SeededUser[]): void {
  logger.info({}, "access tokens (send as the api_access_token header; set DEMO_ADMIN_TOKEN, DEMO_AGENT_TOKEN, DEMO_OTHER_TOKEN to choose them):");
  for (const user of users) {
    const who = `${user.name} <${user.email}>, ${user.role} of account ${user.accountId}`;
    if (user.source === "env") logger.info({}, `  ${user.variable} from the environment  ${who}`);
    else logger.info({}, `  ${user.variable}=${user.token}  ${who} (${user.source === "generated" ? "generated now and stored" : "stored by an earlier start"})`);
  }
}

/** Stop accepting connections, let requests in progress finish, drop idle keep-alive sockets. */
function closeServer(server: import("node:http").Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    // A client holding a request open must not keep the process alive past the deadline.
    setTimeout(() => server.closeAllConnections(), 5_000).unref();
  });
}

async function withDeadline(work: Promise<unknown>, ms: number, onLate: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      onLate();
      resolve();
    }, ms);
  });
  await Promise.race([work, late]);
  clearTimeout(timer);
}

main().catch((error: unknown) => {
  console.error("the demo could not start:", error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
