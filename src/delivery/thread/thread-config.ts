import { DefaultNamingStrategy, type DataSource } from "typeorm";
import type { ResolvedOptions, WebhooksOptions } from "../../options";
import { chosenLibrarySchema } from "../../tables";

/** The connection settings a dispatcher's thread opens its own pool with: the host's, as data. */
const CONNECTION_KEYS = [
  "url",
  "host",
  "port",
  "username",
  "password",
  "database",
  "schema",
  "ssl",
  "extra",
  "poolSize",
  "connectTimeoutMS",
  "applicationName",
  "useUTC",
  "replication",
  "parseInt8",
  "uuidExtension",
  "logNotifications",
  "maxQueryExecutionTime",
] as const;

/** The options a thread receives: every option that is data. */
const DATA_OPTIONS = [
  "timeoutMs",
  "retrySchedule",
  "botRetrySchedule",
  "retryJitter",
  "autoDisableAfterMs",
  "retentionMs",
  "leaseMarginMs",
  "pollIntervalMs",
  "batchSize",
  "concurrency",
  "perEndpointConcurrency",
  "perAccountConcurrency",
  "slowAttemptMs",
  "allowPrivateNetwork",
  "allowedCidrs",
  "maxRedirects",
  "inboxEvents",
  "messageSideEffects",
  "notify",
] as const satisfies ReadonlyArray<keyof ResolvedOptions>;

/** Options whose values live in the host's thread (functions, agents): with any of them the dispatcher runs there too. */
const THREAD_BOUND_OPTIONS = ["lookup", "clock", "random", "httpAgent", "httpsAgent"] as const satisfies ReadonlyArray<keyof WebhooksOptions>;

/** What a dispatcher's thread needs to run the same engine on a pool of its own (`workerData`). */
export interface ThreadConfig {
  connection: Record<string, unknown>;
  /** Set with `useLibrarySchema()` in the host's thread; the thread sets it again before its DataSource. */
  librarySchema: string | null;
  options: Pick<ResolvedOptions, (typeof DATA_OPTIONS)[number]>;
  /** How often the thread reports what its loop is doing (health checks and gauges read it). */
  activityIntervalMs: number;
}

/** A thread's configuration, or the reason the dispatcher must run in the host's thread. */
export type ThreadPlan = { config: ThreadConfig; reason?: undefined } | { config?: undefined; reason: string };

/**
 * Whether the dispatcher can run on a thread of its own, and with what. It cannot when the
 * database is the embedded one (one session, in this thread), when an option is a function or
 * an agent of this thread, or when the DataSource's settings are not plain data (a password
 * callback, a custom driver module, a naming strategy of the host's).
 */
export function planThread(input: WebhooksOptions, options: ResolvedOptions, embedded: boolean): ThreadPlan {
  if (embedded) return { reason: "the embedded database has one session, which this thread holds" };
  const bound = THREAD_BOUND_OPTIONS.filter((key) => input[key] !== undefined);
  if (bound.length > 0) return { reason: `option ${bound.join(", ")} holds a value of this thread` };
  const dataSourceOptions = options.dataSource.options as unknown as Record<string, unknown>;
  if (dataSourceOptions.driver !== undefined || dataSourceOptions.nativeDriver !== undefined) return { reason: "the DataSource uses a driver module of its own" };
  if (!isDefaultNaming(options.dataSource)) return { reason: "the DataSource has a naming strategy of its own" };
  const connection: Record<string, unknown> = {};
  for (const key of CONNECTION_KEYS) if (dataSourceOptions[key] !== undefined) connection[key] = dataSourceOptions[key];
  const data = {} as ThreadConfig["options"];
  for (const key of DATA_OPTIONS) (data as Record<string, unknown>)[key] = options[key];
  const config: ThreadConfig = { connection, librarySchema: chosenLibrarySchema(), options: data, activityIntervalMs: Math.min(250, options.pollIntervalMs) };
  try {
    structuredClone(config);
  } catch {
    return { reason: "the DataSource's connection settings hold values a thread cannot receive (a password callback, ssl callbacks)" };
  }
  return { config };
}

function isDefaultNaming(dataSource: DataSource): boolean {
  return Object.getPrototypeOf(dataSource.namingStrategy) === DefaultNamingStrategy.prototype;
}
