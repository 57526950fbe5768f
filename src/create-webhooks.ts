import { EventEmitter } from "node:events";
import type { Router } from "express";
import type { DataSource } from "typeorm";
import type { AttemptRecord, WebhooksContext, WebhooksEventMap, WebhooksEvents } from "./context";
import { createDispatcher, type Dispatcher } from "./delivery/dispatcher";
import { planThread, type ThreadPlan } from "./delivery/thread/thread-config";
import { createThreadDispatcher } from "./delivery/thread/thread-dispatcher";
import { isEmbeddedDriver } from "./embedded/pglite-driver";
import { ENTITIES } from "./entities";
import { createEmitter, type Emitter } from "./delivery/emit";
import { logFinishedDeliveries } from "./observability/delivery-log-line";
import { createHealth, type HealthReport } from "./observability/health";
import { createMetrics } from "./observability/metrics";
import type { MetricsRegistry } from "./observability/registry";
import { resolveOptions, type WebhooksOptions } from "./options";
import { createRouter } from "./routes";
import { createSettingsRouter } from "./routes/settings-page";
import { assertMigrated } from "./schema-check";
import { createStallWatch } from "./delivery/stall-watch";
import { createRecoveryRunner } from "./recovery/recovery-runner";
import { createOutboxSubscriber, OutboxSubscriber } from "./subscribers";

/** What {@link createWebhooks} returns: plain functions and routers, nothing to `new`. */
export interface Webhooks {
  /** The management API (`/accounts/:account_id/webhooks...`); mount it under `/api/v1`. */
  router: Router;
  /** The settings page (`/accounts/:account_id/settings/integrations/webhook`); mount it under `/app`. */
  settingsRouter: Router;
  /** Sends what the outbox holds; call `start()` once the app is ready and `stop()` on shutdown. */
  dispatcher: Dispatcher;
  /** Where the dispatcher runs once started: on a thread of its own, or in this one and why (option `dispatcherThread`). */
  dispatcherPlacement: { thread: boolean; reason: string | null };
  /** Events without a database write: typing indicators and the web widget. */
  emit: Emitter;
  /** Typed events: deliveries succeeded, failed, retried; webhooks disabled. */
  events: WebhooksEvents;
  /** One manual attempt of a delivery now (what the redeliver route calls). */
  redeliver(deliveryId: string): Promise<AttemptRecord>;
  /** Prometheus exposition at `GET /`: `app.use("/metrics", webhooks.metricsRouter)`. 501 without prom-client. */
  metricsRouter: Router;
  /** The registry the metrics are in (`metrics.registry`, or the library's own); null when metrics are off. */
  metricsRegistry: MetricsRegistry | null;
  /** Database, migrations, dispatcher loop and LISTEN, each with a reason when not ready. */
  health(): Promise<HealthReport>;
  /** `GET /live` and `GET /ready` (200 or 503, JSON): `app.use("/health", webhooks.healthRouter)`. */
  healthRouter: Router;
  /**
   * Stop the dispatcher and detach from the DataSource: its saves of conversations, contacts and
   * inboxes no longer record events, and no commit wakes a dispatcher. Messages are still recorded:
   * the triggers on `messages` belong to the migrations, and only undoing those removes them.
   */
  close(): Promise<void>;
}

/**
 * Wire Chatwoot-compatible webhooks into an initialized TypeORM DataSource.
 *
 * ```ts
 * const dataSource = new DataSource({ type: "postgres", url, entities: [...ENTITIES, ...yours], migrations: [...MIGRATIONS] });
 * await dataSource.initialize();
 * const webhooks = createWebhooks({ dataSource });
 * app.use("/api/v1", webhooks.router);
 * await webhooks.dispatcher.start();
 * ```
 */
export function createWebhooks(input: WebhooksOptions): Webhooks {
  const options = resolveOptions(input);
  assertUsable(options.dataSource);
  const embedded = isEmbeddedDriver((options.dataSource.options as { driver?: unknown }).driver);
  if (embedded) options.notify = false;

  const events: WebhooksEvents = new EventEmitter<WebhooksEventMap>();
  // A listener-less "error"-like event must not crash the host: keep one quiet listener.
  events.on("dispatcher.error", () => undefined);
  let dispatcher: Dispatcher | undefined;
  // Bulk recoveries run where they are asked for, and in every process with a dispatcher, which
  // also resumes those a stopped or dead process left (see recovery-runner.ts).
  const recoveries = createRecoveryRunner({
    dataSource: options.dataSource,
    logger: options.logger,
    clock: options.clock,
    batchSize: options.recoveryBatchSize,
    pauseMs: options.recoveryPauseMs,
    wake: () => dispatcher?.wake(),
    watchIntervalMs: 5 * options.pollIntervalMs,
  });
  const context: WebhooksContext = {
    options,
    events,
    redeliver: (deliveryId) => (dispatcher as Dispatcher).redeliver(deliveryId),
    recoveries,
  };
  const local = createDispatcher(context);
  const plan: ThreadPlan = input.dispatcherThread === false ? { reason: "option dispatcherThread is false" } : planThread(input, options, embedded);
  if (input.dispatcherThread === true && plan.reason) throw new TypeError(`createWebhooks(): option dispatcherThread is true, but ${plan.reason}.`);
  const placement = { thread: plan.config !== undefined, reason: plan.reason ?? null };
  const engine = plan.config ? createThreadDispatcher({ config: plan.config, engine: local, events, logger: options.logger }) : local;
  let sending = false;
  let dispatcherState: "not_started" | "running" | "stopped" = "not_started";
  const stallWatch = createStallWatch(options.dataSource, options.logger, options.stalledEventsWarningMs);
  dispatcher = {
    ...engine,
    // Fail at start, in a sentence, rather than in every pass of the loop.
    start: async () => {
      await assertMigrated(options.dataSource, "webhooks.dispatcher.start()");
      await engine.start();
      options.logger.info(placement, placement.thread ? "webhook dispatcher started on its own thread" : `webhook dispatcher started in this thread: ${placement.reason}`);
      sending = true;
      dispatcherState = "running";
      recoveries.watch();
    },
    stop: async (timeoutMs) => {
      sending = false;
      if (dispatcherState === "running") dispatcherState = "stopped";
      await recoveries.stop();
      await engine.stop(timeoutMs);
    },
  };
  const subscriber = createOutboxSubscriber(context, () => {
    dispatcher?.wake();
    if (!sending) stallWatch.recorded();
  });
  options.dataSource.subscribers.push(subscriber);
  const activity = () => engine.activity();
  const metrics = createMetrics({ options, events, activity });
  const health = createHealth({ options, activity, dispatcherState: () => dispatcherState });
  const stopLogging = logFinishedDeliveries(events, options.logger);
  const close = async () => {
    stallWatch.stop();
    await dispatcher?.stop();
    // After the stop: the attempts it waited for are still counted and logged.
    metrics.close();
    stopLogging();
    const index = options.dataSource.subscribers.indexOf(subscriber);
    if (index >= 0) options.dataSource.subscribers.splice(index, 1);
  };

  return {
    router: createRouter(context),
    settingsRouter: createSettingsRouter(context),
    dispatcher,
    dispatcherPlacement: placement,
    emit: createEmitter(context, (queryRunner) => subscriber.recorded(queryRunner)),
    events,
    redeliver: context.redeliver,
    metricsRouter: metrics.router,
    metricsRegistry: metrics.registry,
    health: health.check,
    healthRouter: health.router,
    close,
  };
}

function assertUsable(dataSource: DataSource): void {
  if (!dataSource.isInitialized) {
    throw new TypeError("createWebhooks(): the DataSource is not initialized yet. Add ENTITIES and MIGRATIONS to its options, await dataSource.initialize(), then call createWebhooks().");
  }
  if (dataSource.options.type !== "postgres") {
    throw new TypeError(`createWebhooks(): PostgreSQL is required (the outbox relies on FOR UPDATE SKIP LOCKED and LISTEN/NOTIFY), but the DataSource type is "${dataSource.options.type}".`);
  }
  if (dataSource.subscribers.some((subscriber) => subscriber instanceof OutboxSubscriber)) {
    throw new TypeError("createWebhooks(): this DataSource already has webhooks attached, and a second set would record every event twice. Reuse the first, or call its close() first.");
  }
  const missing = ENTITIES.filter((entity) => !dataSource.hasMetadata(entity)).map((entity) => entity.name);
  if (missing.length > 0) {
    throw new TypeError(`createWebhooks(): the DataSource does not know the entities ${missing.join(", ")}. Spread ENTITIES from this package into its "entities" option (and MIGRATIONS into "migrations").`);
  }
}
