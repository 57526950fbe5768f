/**
 * The dispatcher's thread: the same engine as in the host's thread, on a DataSource of its own
 * (the host's connection settings, the library's entities), so fan-out, sending and recording run
 * on their own event loop and the host's requests do not wait behind them. It reports its events,
 * log lines and activity to the host's thread, which hands them to the host's listeners, logger,
 * metrics and health checks (see thread-dispatcher.ts).
 */
import "reflect-metadata";
import { EventEmitter } from "node:events";
import { parentPort, workerData } from "node:worker_threads";
import { DataSource, type DataSourceOptions } from "typeorm";
import type { WebhooksContext, WebhooksEventMap } from "../../context";
import { ENTITIES } from "../../entities";
import { resolveOptions, type Logger } from "../../options";
import { useLibrarySchema } from "../../tables";
import { createDispatcher } from "../dispatcher";
import { plainError, toPlain, type FromThread, type ToThread } from "./protocol";
import type { ThreadConfig } from "./thread-config";

/** Every event the engine emits, each forwarded to the host's thread (a new one fails to compile until it is here). */
const FORWARDED: Record<keyof WebhooksEventMap, true> = { "delivery.succeeded": true, "delivery.failed": true, "delivery.retry_scheduled": true, "webhook.disabled": true, "dispatcher.error": true };

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("worker-entry runs as the dispatcher's thread only");
  const config = workerData as ThreadConfig;
  const post = (message: FromThread) => port.postMessage(message);

  if (config.librarySchema !== null) useLibrarySchema(config.librarySchema);
  const dataSource = new DataSource({ type: "postgres", ...config.connection, entities: ENTITIES, subscribers: [], migrations: [], synchronize: false, migrationsRun: false, logging: false } as DataSourceOptions);
  await dataSource.initialize();

  const line = (level: "debug" | "info" | "warn" | "error") => (obj: object, msg?: string) => post({ type: "log", level, obj: toPlain(obj), msg });
  const logger: Logger = { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
  const options = resolveOptions({ ...config.options, dataSource, logger, metrics: { enabled: false } });
  // Events go in one message per turn of this thread's loop: a batch of outcomes written at once
  // costs the host's thread one message, not one each.
  const events = new EventEmitter<WebhooksEventMap>();
  let batch: Array<{ name: keyof WebhooksEventMap; args: unknown[] }> = [];
  const flush = () => {
    if (batch.length === 0) return;
    post({ type: "events", events: batch, activity: engine.activity() });
    batch = [];
  };
  for (const name of Object.keys(FORWARDED) as Array<keyof WebhooksEventMap>) {
    events.on(name, (...args: unknown[]) => {
      if (batch.length === 0) setImmediate(flush);
      batch.push({ name, args: args.map((arg) => toPlain(arg)) });
    });
  }
  const context: WebhooksContext = {
    options,
    events,
    // Manual attempts run in the host's thread (the routes call its engine).
    redeliver: () => Promise.reject(new Error("redeliveries run in the host's thread")),
  };
  const engine = createDispatcher(context);
  await engine.start();
  const report = () => post({ type: "activity", activity: engine.activity() });
  report();
  post({ type: "started" });
  const reporting = setInterval(report, config.activityIntervalMs);

  port.on("message", (message: ToThread) => {
    if (message.type === "wake") return engine.wake();
    if (message.type !== "stop") return;
    clearInterval(reporting);
    void engine
      .stop(message.timeoutMs)
      .then(() => {
        flush(); // the last outcomes' events, before the thread ends
        report();
      })
      .then(() => dataSource.destroy())
      .finally(() => port.close()); // the thread ends; the host's side waits for its exit
  });
}

main().catch((error: Error) => {
  parentPort?.postMessage({ type: "failed", error: plainError(error) } satisfies FromThread);
  parentPort?.close();
});
