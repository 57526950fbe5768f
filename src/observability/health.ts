import { Router } from "express";
import type { DispatcherActivity } from "../delivery/dispatcher";
import type { ResolvedOptions } from "../options";
import { missingSchema } from "../schema-check";

/** One check: `ok`, and when not, a sentence saying why. */
export interface HealthCheck {
  ok: boolean;
  reason: string | null;
}

/** What {@link Health.check} reports. */
export interface HealthReport {
  /** The process is worth keeping: the dispatcher loop (when it runs here) is not stuck. A restart would help when false. */
  live: boolean;
  /** Every check below passes: the process can do its work now. */
  ready: boolean;
  checks: {
    /** PostgreSQL answers, within `health.timeoutMs`. */
    database: HealthCheck & { latencyMs: number | null };
    /** The library's tables and columns are there. */
    migrations: HealthCheck;
    /** The dispatcher loop runs (when this process started it) and its passes end. */
    dispatcher: HealthCheck & { state: "not_started" | "running" | "stopped"; lastPassAt: string | null };
    /** How other processes' commits reach this dispatcher: LISTEN, or the poll while LISTEN is down or off. */
    notifications: HealthCheck & { mode: "listen" | "poll" | "none" };
  };
}

export interface Health {
  check(): Promise<HealthReport>;
  /** `GET /live` and `GET /ready`: 200 or 503 with the report as JSON. */
  router: Router;
}

export interface HealthSources {
  options: ResolvedOptions;
  activity: () => DispatcherActivity;
  /** Whether this process started its dispatcher, and stopped it since. */
  dispatcherState: () => "not_started" | "running" | "stopped";
}

/**
 * Liveness and readiness. Liveness fails only when a restart would help (a dispatcher pass that
 * never ends: a query hanging on a dead connection); a database that is away makes the process
 * not ready, not dead, since restarting it would not bring PostgreSQL back.
 */
export function createHealth(sources: HealthSources): Health {
  const { options, activity, dispatcherState } = sources;
  const { dataSource, clock } = options;
  const { stuckAfterMs, timeoutMs } = options.health;

  const dispatcherCheck = (): HealthReport["checks"]["dispatcher"] => {
    const state = dispatcherState();
    const now = clock().getTime();
    const { running, passStartedAt, lastPassEndedAt } = activity();
    const lastPassAt = lastPassEndedAt ? lastPassEndedAt.toISOString() : null;
    if (state === "not_started") return { ok: true, reason: null, state, lastPassAt };
    if (state === "stopped" || !running) return { ok: false, reason: "the dispatcher was stopped (shutting down)", state: "stopped", lastPassAt };
    if (passStartedAt && now - passStartedAt.getTime() > stuckAfterMs) {
      return { ok: false, reason: `a dispatcher pass has run for ${seconds(now - passStartedAt.getTime())} s (a query may hang on a dead connection)`, state, lastPassAt };
    }
    // Between passes the loop sleeps at most the poll interval, or the 5 s backoff after an error.
    const quiet = stuckAfterMs + Math.max(options.pollIntervalMs, 5000);
    if (!passStartedAt && lastPassEndedAt && now - lastPassEndedAt.getTime() > quiet) {
      return { ok: false, reason: `no dispatcher pass for ${seconds(now - lastPassEndedAt.getTime())} s`, state, lastPassAt };
    }
    return { ok: true, reason: null, state, lastPassAt };
  };

  const notificationsCheck = (state: HealthReport["checks"]["dispatcher"]["state"]): HealthReport["checks"]["notifications"] => {
    if (state !== "running") return { ok: true, reason: null, mode: "none" };
    const { listening } = activity();
    // Either way the work is found: LISTEN wakes at once, the poll within pollIntervalMs.
    if (listening) return { ok: true, reason: null, mode: "listen" };
    return { ok: true, reason: listening === null ? `notify is off; polling every ${options.pollIntervalMs} ms` : `LISTEN is reconnecting; polling every ${options.pollIntervalMs} ms meanwhile`, mode: "poll" };
  };

  /** One round trip answers both "is the database there" and "are the migrations run". */
  const databaseChecks = async (): Promise<Pick<HealthReport["checks"], "database" | "migrations">> => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const missing = await Promise.race([
        missingSchema(dataSource),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      const latencyMs = Math.round(performance.now() - started);
      return {
        database: { ok: true, reason: null, latencyMs },
        migrations: missing.length === 0 ? { ok: true, reason: null } : { ok: false, reason: `the library's migrations have not run: missing ${missing.join(", ")}` },
      };
    } catch (error) {
      return {
        database: { ok: false, reason: `PostgreSQL is unreachable: ${describe(error)}`, latencyMs: null },
        migrations: { ok: false, reason: "unknown while the database is unreachable" },
      };
    } finally {
      clearTimeout(timer);
    }
  };

  const check = async (): Promise<HealthReport> => {
    const dispatcher = dispatcherCheck();
    const { database, migrations } = await databaseChecks();
    const checks = { database, migrations, dispatcher, notifications: notificationsCheck(dispatcher.state) };
    const live = dispatcher.state !== "running" || dispatcher.ok;
    return { live, ready: Object.values(checks).every((item) => item.ok), checks };
  };

  const router = Router();
  router.use((_req, res, next) => {
    res.set("Cache-Control", "no-store");
    next();
  });
  router.get("/live", (_req, res) => {
    // No query: liveness must not fail because the database is away.
    const dispatcher = dispatcherCheck();
    const live = dispatcher.state !== "running" || dispatcher.ok;
    res.status(live ? 200 : 503).json({ live, checks: { dispatcher } });
  });
  router.get("/ready", async (_req, res) => {
    const report = await check();
    res.status(report.ready ? 200 : 503).json(report);
  });
  return { check, router };
}

const seconds = (ms: number) => Math.round(ms / 1000);

/** The error's code and message, without the query or its values. */
function describe(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  const text = String(message ?? error).split("\n")[0].slice(0, 200);
  return code && !text.includes(code) ? `${code} ${text}` : text;
}
