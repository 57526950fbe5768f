import { Router } from "express";
import type { AttemptRecord, WebhooksEventMap, WebhooksEvents } from "../context";
import type { DispatcherActivity } from "../delivery/dispatcher";
import type { ResolvedOptions } from "../options";
import { statementsOf } from "../tables";
import { loadPromClient, type PromClient } from "./prom-client";
import type { MetricsRegistry } from "./registry";
import { QUEUE_GAUGES, type QueueGaugesRow } from "./sql/queue-gauges";

/** What {@link createMetrics} returns. */
export interface Metrics {
  /** `GET /` answers the exposition text (mount it at `/metrics`); 501 when metrics are off. */
  router: Router;
  /** The registry the metrics are in (the host's, or the library's own); null when metrics are off. */
  registry: MetricsRegistry | null;
  /** Stop listening and take the metrics out of the registry (a host registry outlives us). */
  close(): void;
}

export interface MetricsSources {
  options: ResolvedOptions;
  events: WebhooksEvents;
  activity: () => DispatcherActivity;
}

/** Attempts: 10 ms to the 5 s default timeout and beyond. */
const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Commit to first attempt: a few ms when the dispatcher is idle, minutes behind a backlog. */
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800];
const DISABLED_REASONS = ["gone", "failing", "manual"] as const;

/**
 * Prometheus metrics fed by the typed events (`delivery.*`, `dispatcher.error`,
 * `webhook.disabled`), the dispatcher's {@link DispatcherActivity} and, at scrape time, one
 * query over the queue's partial indexes. Labels are bounded: kind, event, outcome, reason, and
 * `webhook_id` only when `metrics.webhookLabels` asks for it. Never a URL.
 */
export function createMetrics(sources: MetricsSources): Metrics {
  const { options, events, activity } = sources;
  const client = options.metrics.enabled ? loadPromClient() : null;
  if (!client) return disabledMetrics();
  const registry: MetricsRegistry = options.metrics.registry ?? new client.Registry();
  const defined = defineMetrics(client, registry, options, activity);

  const listeners: { [K in keyof WebhooksEventMap]?: (...args: WebhooksEventMap[K]) => void } = {
    "delivery.succeeded": (record) => defined.attempt(record, "succeeded"),
    "delivery.retry_scheduled": (record) => defined.attempt(record, "retry_scheduled"),
    "delivery.failed": (record) => defined.attempt(record, "failed"),
    "dispatcher.error": () => defined.dispatcherErrors.inc(),
    "webhook.disabled": ({ reason }) => defined.webhooksDisabled.inc({ reason }),
  };
  for (const [name, listener] of Object.entries(listeners)) events.on(name as keyof WebhooksEventMap, listener as never);

  const router = Router();
  router.get("/", async (_req, res) => {
    res.set("Cache-Control", "no-store");
    res.type(registry.contentType).send(await registry.metrics());
  });

  return {
    router,
    registry,
    close() {
      for (const [name, listener] of Object.entries(listeners)) events.off(name as keyof WebhooksEventMap, listener as never);
      for (const name of defined.names) registry.removeSingleMetric(name);
    },
  };
}

function disabledMetrics(): Metrics {
  const router = Router();
  router.get("/", (_req, res) => {
    res.status(501).type("text/plain").send("Metrics are off: install the optional peer dependency prom-client (npm install prom-client) and restart.\n");
  });
  return { router, registry: null, close: () => undefined };
}

type AttemptOutcome = "succeeded" | "retry_scheduled" | "failed";

function defineMetrics(client: PromClient, registry: MetricsRegistry, options: ResolvedOptions, activity: () => DispatcherActivity) {
  const p = options.metrics.prefix;
  const registers = [registry as never];
  const perWebhook = options.metrics.webhookLabels;
  const attemptLabels = perWebhook ? ["kind", "event", "outcome", "webhook_id"] : ["kind", "event", "outcome"];
  const durationLabels = perWebhook ? ["kind", "outcome", "webhook_id"] : ["kind", "outcome"];
  const queue = queueSnapshot(options);

  const attempts = new client.Counter({
    name: `${p}delivery_attempts_total`,
    help: "Delivery attempts recorded, by target kind (account, inbox, agent_bot), event and outcome: succeeded, retry_scheduled (failed; another attempt is scheduled) or failed (failed for good). succeeded + failed are the deliveries finished. A redelivery that fails is not counted.",
    labelNames: attemptLabels,
    registers,
  });
  const duration = new client.Histogram({
    name: `${p}attempt_duration_seconds`,
    help: "Time from sending a request to its answer (or the timeout), by target kind and outcome.",
    labelNames: durationLabels,
    buckets: DURATION_BUCKETS,
    registers,
  });
  const lag = new client.Histogram({
    name: `${p}first_attempt_lag_seconds`,
    help: "Time from the commit that recorded an event to the first attempt of each of its deliveries, by target kind.",
    labelNames: ["kind"],
    buckets: LAG_BUCKETS,
    registers,
  });
  const dispatcherErrors = new client.Counter({ name: `${p}dispatcher_errors_total`, help: "Errors in the dispatcher loop itself (database unreachable, a write that failed); it retries.", registers });
  const webhooksDisabled = new client.Counter({ name: `${p}webhooks_disabled_total`, help: "Webhooks this process switched off: gone (410) or failing (no success for autoDisableAfterMs).", labelNames: ["reason"], registers });

  const gauge = (name: string, help: string, read: (set: (value: number, labels?: Record<string, string>) => void) => Promise<void> | void, labelNames: string[] = []) =>
    new client.Gauge({
      name: `${p}${name}`,
      help,
      labelNames,
      registers,
      async collect() {
        await read((value, labels) => (labels ? this.set(labels, value) : this.set(value)));
      },
    });
  gauge("dispatcher_running", "1 when this process's dispatcher loop runs, else 0.", (set) => set(activity().running ? 1 : 0));
  gauge("in_flight_attempts", "Requests this process's dispatcher has in flight.", (set) => set(activity().inFlight));
  gauge("buffered_deliveries", "Deliveries this process's dispatcher has claimed and starts as slots free up.", (set) => set(activity().buffered));
  gauge("events_waiting_fan_out", "Events recorded and not yet fanned out to their webhooks (all processes).", async (set) => set((await queue())?.events_waiting ?? NaN));
  gauge("pending_deliveries", "Deliveries not finished, of enabled webhooks: due now or scheduled for a retry (all processes).", async (set) => set((await queue())?.pending ?? NaN));
  gauge("due_deliveries", "Pending deliveries whose attempt is due now, in flight included (all processes).", async (set) => set((await queue())?.due ?? NaN));
  gauge("oldest_due_delivery_age_seconds", "How long the longest-waiting due delivery has been due; 0 when none is due. The queue's lag.", async (set) => {
    const row = await queue();
    set(row ? (row.oldest_due_at ? Math.max(0, (options.clock().getTime() - new Date(row.oldest_due_at).getTime()) / 1000) : 0) : NaN);
  });
  gauge(
    "disabled_webhooks",
    "Webhooks switched off, by reason: gone (410), failing (auto-disabled) or manual.",
    async (set) => {
      const row = await queue();
      for (const reason of DISABLED_REASONS) set(row ? (row.disabled[reason] ?? 0) : NaN, { reason });
    },
    ["reason"],
  );

  const names = [attempts, duration, lag, dispatcherErrors, webhooksDisabled].map((metric) => (metric as unknown as { name: string }).name);
  names.push(...["dispatcher_running", "in_flight_attempts", "buffered_deliveries", "events_waiting_fan_out", "pending_deliveries", "due_deliveries", "oldest_due_delivery_age_seconds", "disabled_webhooks"].map((name) => `${p}${name}`));

  return {
    names,
    dispatcherErrors,
    webhooksDisabled,
    attempt(record: AttemptRecord, outcome: AttemptOutcome) {
      const webhook = perWebhook ? { webhook_id: String(record.webhookId) } : {};
      attempts.inc({ kind: record.kind, event: record.event, outcome, ...webhook });
      duration.observe({ kind: record.kind, outcome, ...webhook }, record.durationMs / 1000);
      // Attempt 1 only: later attempts wait for their schedule, which is not lag.
      if (record.attempt === 1 && record.trigger === "scheduled" && record.committedAt) {
        lag.observe({ kind: record.kind }, Math.max(0, record.attemptedAt.getTime() - record.committedAt.getTime()) / 1000);
      }
    },
  };
}

/**
 * The queue's row for one scrape: the first gauge to ask runs the query, and the others, which
 * prom-client collects at the same time, share it. A database that does not answer within
 * `health.timeoutMs` leaves these gauges at NaN (the scrape itself still succeeds; the health
 * check says why).
 */
function queueSnapshot(options: ResolvedOptions): () => Promise<QueueGaugesRow | null> {
  const { dataSource, logger, clock } = options;
  const sql = statementsOf(dataSource);
  let running: Promise<QueueGaugesRow | null> | null = null;
  return () => {
    if (running) return running;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${options.health.timeoutMs} ms`)), options.health.timeoutMs);
    });
    running = Promise.race([dataSource.query(sql(QUEUE_GAUGES), [clock()]) as Promise<QueueGaugesRow[]>, timeout])
      .then((rows) => rows[0])
      .catch((error: unknown) => {
        logger.debug({ err: error }, "metrics: could not read the queue; its gauges are NaN for this scrape");
        return null;
      })
      .finally(() => {
        clearTimeout(timer);
        running = null;
      });
    return running;
  };
}
