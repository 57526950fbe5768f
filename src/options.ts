import type { LookupFunction } from "node:net";
import type { Agent as HttpAgent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import type { Request } from "express";
import type { DataSource } from "typeorm";
import { canLoadPromClient } from "./observability/prom-client";
import type { MetricsRegistry } from "./observability/registry";
import { redactingLogger } from "./redact";
import { parseAllowedCidrs } from "./security/address-policy";

/** pino-compatible logger; pass `pino()` or any object with these four methods. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Who is calling the management API, as an `authenticate` function reports it. */
export interface Principal {
  userId: number | null;
  /** The caller's role in the requested account, or null when not a member. */
  role: "administrator" | "agent" | null;
}

/**
 * Resolve the caller of a management API request. Return `null` for "no valid credentials"
 * (401 `Invalid Access Token` when the request carries an access token, Chatwoot's 401 sign-in
 * failure when it carries none; see `readAccessToken`). The default looks up `api_access_token`
 * (in any spelling, or a Bearer token) in the library's `access_tokens` and `account_users`
 * tables. An account id that cannot exist (not a positive 32-bit integer in the path) is passed
 * as 0, so the token is still checked first; such an account, or one not in `accounts`, is a 404
 * once a principal is returned.
 */
export type Authenticate = (req: Request, accountId: number) => Promise<Principal | null>;

/** Options of {@link createWebhooks}. Only `dataSource` is required. */
export interface WebhooksOptions {
  /** An initialized PostgreSQL DataSource whose `entities` include `ENTITIES`. */
  dataSource: DataSource;
  /** Custom authentication; default: access tokens from the library's tables. */
  authenticate?: Authenticate;
  /** Per-attempt HTTP timeout in ms. Default 5000 (Chatwoot's `WEBHOOK_TIMEOUT`). */
  timeoutMs?: number;
  /** Delays in ms before attempts 2, 3, ...; its length + 1 is the number of attempts. Default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
  retrySchedule?: number[];
  /**
   * Delays in ms before an agent bot's attempts 2, 3, ...: bots wait for an answer, so they get a
   * few quick tries (on 429, 5xx, timeouts and dropped connections) instead of the long schedule.
   * Default 3 s, 3 s (Chatwoot's three attempts, 3 s apart). No jitter.
   */
  botRetrySchedule?: number[];
  /** Random spread of each delay, as a fraction. Default 0.2 (±20 %). */
  retryJitter?: number;
  /** Disable a webhook that has failed without a success for this long (ms). Default 5 days. */
  autoDisableAfterMs?: number;
  /** Delete finished deliveries and their attempts after this long (ms). Default 14 days. */
  retentionMs?: number;
  /** Added to `timeoutMs` to form the claim lease. Default 10000. */
  leaseMarginMs?: number;
  /** Fallback poll interval in ms (retries, missed notifications). Default 1000. */
  pollIntervalMs?: number;
  /** Deliveries claimed per round trip. Default 100. */
  batchSize?: number;
  /** Requests in flight at once, per dispatcher. Default 64. */
  concurrency?: number;
  /**
   * The most requests in flight to one webhook at once, per dispatcher. Default 16. A webhook
   * starts with an eighth of it; each quick success adds a slot, each attempt that took
   * `slowAttemptMs` or more halves them (a circuit breaker for endpoints that hang).
   */
  perEndpointConcurrency?: number;
  /** Requests in flight for one account at once, over all its webhooks, per dispatcher. Default half of `concurrency`. */
  perAccountConcurrency?: number;
  /** An attempt that took this long or more (a timeout included) halves its webhook's slots. Default half of `timeoutMs`. */
  slowAttemptMs?: number;
  /** Account webhooks one account may have (the API answers 422 beyond it). Default 100. */
  maxWebhooksPerAccount?: number;
  /** Manual redeliveries one account may ask for per minute (429 with `Retry-After` beyond it). Default 60. */
  redeliveriesPerMinute?: number;
  /** Failed deliveries a bulk recovery makes due per batch (one short transaction each). Default 1000. */
  recoveryBatchSize?: number;
  /** Pause after each round of recovery batches (ms), so the dispatcher and the API get the database. Default 10. */
  recoveryPauseMs?: number;
  /** Send to private, loopback and link-local addresses. Default: `SAFE_FETCH_ALLOW_PRIVATE_NETWORK === "true"`. */
  allowPrivateNetwork?: boolean;
  /** CIDRs (or single addresses) allowed even though private, e.g. `["10.1.2.0/24"]`. Default []. */
  allowedCidrs?: string[];
  /** DNS lookup used for every attempt (injectable for tests). Default `dns.lookup`. */
  lookup?: LookupFunction;
  /**
   * Redirects one attempt follows at most (Chatwoot's limit is 10). Each hop re-posts the same
   * body and headers and passes the address checks again; Basic credentials from the URL go to
   * hops of the webhook's own origin only. 0 follows none: a redirect is a failed attempt.
   * Default 10.
   */
  maxRedirects?: number;
  /** HTTP agents; default keep-alive agents that enforce the address policy. */
  httpAgent?: HttpAgent;
  httpsAgent?: HttpsAgent;
  /** Deliver `inbox_created` / `inbox_updated`. Default false. */
  inboxEvents?: boolean;
  /**
   * Apply Chatwoot's side effects of a new message in the saving transaction: the conversation's
   * `last_activity_at`, `waiting_since` and `first_reply_created_at`, a resolved or snoozed
   * conversation reopened by the customer, the sender contact's `last_activity_at`, with the
   * `conversation_updated`, `conversation_status_changed` and `contact_updated` events Chatwoot
   * fires for them. Turn off when the host maintains these columns itself. Default true.
   */
  messageSideEffects?: boolean;
  /**
   * Run the dispatcher (fan-out, sending, recording) on a worker thread of its own, with its own
   * connection pool built from the DataSource's settings, so the host's requests do not wait
   * behind it. Default: true where it can (`false` on the embedded database, or when `lookup`,
   * `clock`, `random`, `httpAgent` or `httpsAgent` is given, or when the DataSource's settings are
   * not plain data); true where it cannot throws, saying why.
   */
  dispatcherThread?: boolean;
  /** LISTEN/NOTIFY wake-ups across processes. Default true (off on the embedded database). */
  notify?: boolean;
  /** Logger. Default: warnings and errors to the console. */
  logger?: Logger;
  /** Clock. Default `() => new Date()`. */
  clock?: () => Date;
  /** Random source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /**
   * Warn when events recorded by a process whose dispatcher is not running are still waiting this
   * long (ms): the sign that no dispatcher runs anywhere. Default 60000.
   */
  stalledEventsWarningMs?: number;
  /** Largest accepted management API body, in bytes. Default 1 MB. */
  maxBodyBytes?: number;
  /** Path where the host mounted `router`, for the settings page's requests. Default "/api/v1". */
  settingsApiBase?: string;
  /** Prometheus metrics (needs the optional peer dependency `prom-client`). */
  metrics?: MetricsOptions;
  /** What `health()` and `healthRouter` call healthy. */
  health?: HealthOptions;
}

/** Options of the Prometheus metrics. */
export interface MetricsOptions {
  /** Collect metrics. Default: true when `prom-client` is installed; true without it throws. */
  enabled?: boolean;
  /**
   * A prom-client `Registry` to register the metrics in (the host's own, served by its own
   * `/metrics`). Default: a registry of the library's own, which `metricsRouter` serves.
   */
  registry?: MetricsRegistry;
  /** Prefix of every metric name. Default "chatwoot_webhooks_". */
  prefix?: string;
  /**
   * Add a `webhook_id` label to the attempt counter and duration histogram: one series per
   * webhook, so only for a bounded number of webhooks. Default false.
   */
  webhookLabels?: boolean;
}

/** Options of the health checks. */
export interface HealthOptions {
  /** A dispatcher pass running this long, or none ending for this long, is a stuck loop (ms). Default 60000. */
  stuckAfterMs?: number;
  /** How long the database check waits for its query (ms). Default 2000. */
  timeoutMs?: number;
}

/** Metrics options with their defaults. */
export interface ResolvedMetricsOptions {
  enabled: boolean;
  registry: MetricsRegistry | null;
  prefix: string;
  webhookLabels: boolean;
}

/** Options with every default applied; what the rest of the library receives. */
export type ResolvedOptions = Required<Omit<WebhooksOptions, "authenticate" | "lookup" | "httpAgent" | "httpsAgent" | "metrics" | "health" | "dispatcherThread">> &
  Pick<WebhooksOptions, "authenticate" | "lookup" | "httpAgent" | "httpsAgent"> & { metrics: ResolvedMetricsOptions; health: Required<HealthOptions> };

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Svix's schedule, also the Standard Webhooks example: 8 attempts over about 27.6 hours. */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];

const consoleLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (obj, msg) => console.warn(`[chatwoot-webhooks] ${msg ?? ""}`, obj),
  error: (obj, msg) => console.error(`[chatwoot-webhooks] ${msg ?? ""}`, obj),
};

/** Apply every default once. Throws a `TypeError` that says how to fix a bad option. */
export function resolveOptions(options: WebhooksOptions, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  if (!options || typeof options !== "object" || !options.dataSource) {
    throw new TypeError("createWebhooks() needs { dataSource }: pass your initialized TypeORM DataSource.");
  }
  const resolved: ResolvedOptions = {
    dataSource: options.dataSource,
    authenticate: options.authenticate,
    timeoutMs: options.timeoutMs ?? 5 * SECOND,
    retrySchedule: options.retrySchedule ?? [...DEFAULT_RETRY_SCHEDULE],
    botRetrySchedule: options.botRetrySchedule ?? [3 * SECOND, 3 * SECOND],
    retryJitter: options.retryJitter ?? 0.2,
    autoDisableAfterMs: options.autoDisableAfterMs ?? 5 * DAY,
    retentionMs: options.retentionMs ?? 14 * DAY,
    leaseMarginMs: options.leaseMarginMs ?? 10 * SECOND,
    pollIntervalMs: options.pollIntervalMs ?? SECOND,
    batchSize: options.batchSize ?? 100,
    concurrency: options.concurrency ?? 64,
    perEndpointConcurrency: options.perEndpointConcurrency ?? 16,
    perAccountConcurrency: options.perAccountConcurrency ?? Math.max(1, Math.ceil((options.concurrency ?? 64) / 2)),
    slowAttemptMs: options.slowAttemptMs ?? (options.timeoutMs ?? 5 * SECOND) / 2,
    maxWebhooksPerAccount: options.maxWebhooksPerAccount ?? 100,
    redeliveriesPerMinute: options.redeliveriesPerMinute ?? 60,
    recoveryBatchSize: options.recoveryBatchSize ?? 1000,
    recoveryPauseMs: options.recoveryPauseMs ?? 10,
    allowPrivateNetwork: options.allowPrivateNetwork ?? env.SAFE_FETCH_ALLOW_PRIVATE_NETWORK === "true",
    allowedCidrs: options.allowedCidrs ?? [],
    lookup: options.lookup,
    maxRedirects: options.maxRedirects ?? 10,
    httpAgent: options.httpAgent,
    httpsAgent: options.httpsAgent,
    inboxEvents: options.inboxEvents ?? false,
    messageSideEffects: options.messageSideEffects ?? true,
    notify: options.notify ?? true,
    // Never the values of a failed query (tokens, secrets) in a log line, whatever the logger.
    logger: redactingLogger(options.logger ?? consoleLogger),
    clock: options.clock ?? (() => new Date()),
    random: options.random ?? Math.random,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    stalledEventsWarningMs: options.stalledEventsWarningMs ?? 60 * SECOND,
    settingsApiBase: options.settingsApiBase ?? "/api/v1",
    metrics: {
      enabled: options.metrics?.enabled ?? canLoadPromClient(),
      registry: options.metrics?.registry ?? null,
      prefix: options.metrics?.prefix ?? "chatwoot_webhooks_",
      webhookLabels: options.metrics?.webhookLabels ?? false,
    },
    health: {
      stuckAfterMs: options.health?.stuckAfterMs ?? 60 * SECOND,
      timeoutMs: options.health?.timeoutMs ?? 2 * SECOND,
    },
  };
  for (const key of ["timeoutMs", "autoDisableAfterMs", "retentionMs", "pollIntervalMs", "batchSize", "concurrency", "perEndpointConcurrency", "perAccountConcurrency", "slowAttemptMs", "maxWebhooksPerAccount", "redeliveriesPerMinute", "recoveryBatchSize", "maxBodyBytes", "stalledEventsWarningMs"] as const) {
    if (!Number.isFinite(resolved[key]) || resolved[key] <= 0) {
      throw new TypeError(`createWebhooks(): option ${key} must be a positive number of ${key.endsWith("Ms") ? "milliseconds" : "units"}, got ${String(resolved[key])}.`);
    }
  }
  if (!Number.isFinite(resolved.recoveryPauseMs) || resolved.recoveryPauseMs < 0) {
    throw new TypeError("createWebhooks(): option recoveryPauseMs must be zero or a positive number of milliseconds.");
  }
  if (!Number.isFinite(resolved.leaseMarginMs) || resolved.leaseMarginMs < 0) {
    throw new TypeError("createWebhooks(): option leaseMarginMs must be zero or a positive number of milliseconds.");
  }
  for (const key of ["retrySchedule", "botRetrySchedule"] as const) {
    if (!Array.isArray(resolved[key]) || resolved[key].some((delay) => !Number.isFinite(delay) || delay < 0)) {
      throw new TypeError(`createWebhooks(): option ${key} must be an array of delays in milliseconds (>= 0), e.g. [5000, 300000].`);
    }
  }
  if (!(resolved.retryJitter >= 0 && resolved.retryJitter < 1)) {
    throw new TypeError("createWebhooks(): option retryJitter must be a fraction in [0, 1), e.g. 0.2 for ±20 %.");
  }
  if (!Array.isArray(resolved.allowedCidrs) || resolved.allowedCidrs.some((cidr) => typeof cidr !== "string")) {
    throw new TypeError('createWebhooks(): option allowedCidrs must be an array of strings such as "10.0.0.0/8".');
  }
  parseAllowedCidrs(resolved.allowedCidrs); // throws a TypeError naming a bad entry
  if (!Number.isInteger(resolved.maxRedirects) || resolved.maxRedirects < 0) {
    throw new TypeError(`createWebhooks(): option maxRedirects must be a whole number of redirects, 0 or more (0 follows none), got ${String(resolved.maxRedirects)}.`);
  }
  if (typeof resolved.settingsApiBase !== "string" || !/^\/(?!\/)[^\s"'<>\\]*$/.test(resolved.settingsApiBase)) {
    throw new TypeError('createWebhooks(): option settingsApiBase must be an absolute path such as "/api/v1".');
  }

  if (resolved.metrics.enabled && !canLoadPromClient()) {
    throw new TypeError("createWebhooks(): option metrics.enabled is true, but the optional peer dependency prom-client is not installed: run npm install prom-client, or leave metrics.enabled unset.");
  }
  if (typeof resolved.metrics.prefix !== "string" || !/^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/.test(resolved.metrics.prefix)) {
    throw new TypeError('createWebhooks(): option metrics.prefix must be a Prometheus metric name prefix such as "chatwoot_webhooks_".');
  }
  for (const key of ["stuckAfterMs", "timeoutMs"] as const) {
    if (!Number.isFinite(resolved.health[key]) || resolved.health[key] <= 0) {
      throw new TypeError(`createWebhooks(): option health.${key} must be a positive number of milliseconds, got ${String(resolved.health[key])}.`);
    }
  }
  return resolved;
}
