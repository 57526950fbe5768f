import type { DataSource } from "typeorm";
import { statementsOf, type Tables } from "../tables";

const HOUR = 60 * 60 * 1000;
/** The chart's width: the current hour and the 23 before it. */
export const CHART_HOURS = 24;

/** Latency percentiles come from the attempts of at most this many of the window's newest deliveries. */
export const LATENCY_SAMPLE = 2000;

/**
 * One webhook's deliveries created in the 24 hours from `$2`, counted per hour by their state now,
 * and the p50 / p95 duration of the attempts of the newest `$3` of them. Each hour is one range of
 * `index_webhook_deliveries_on_webhook_id_and_created_at` (24 ranges, no sort of the window's
 * rows); the sample is the same index read backwards, and its attempts come through
 * `index_webhook_attempts_on_delivery_id`. So the cost follows that webhook's deliveries in the
 * window, not the size of the log; without the sample, a busy webhook's latency took a hash join
 * over the whole attempts table (430 ms on 1 million deliveries; the README has the figures).
 */
export const DELIVERY_CHART = (t: Tables): string => `
WITH hours AS (
  SELECT i, c.*
  FROM generate_series(0, ${CHART_HOURS - 1}) AS i
  CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
           count(*) FILTER (WHERE status = 'failed')::int AS failed,
           count(*) FILTER (WHERE status = 'pending' AND attempts > 0)::int AS retrying,
           count(*) FILTER (WHERE status = 'pending' AND attempts = 0)::int AS waiting
    FROM ${t.webhookDeliveries}
    WHERE webhook_id = $1 AND created_at >= $2::timestamptz + i * interval '1 hour' AND created_at < $2::timestamptz + (i + 1) * interval '1 hour'
  ) AS c
), sample AS (
  SELECT id FROM ${t.webhookDeliveries}
  WHERE webhook_id = $1 AND created_at >= $2::timestamptz AND created_at < $2::timestamptz + interval '${CHART_HOURS} hours'
  ORDER BY created_at DESC LIMIT $3
), latency AS (
  SELECT count(DISTINCT s.id)::int AS deliveries, count(*)::int AS attempts,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY a.duration_ms) AS p50,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY a.duration_ms) AS p95
  FROM sample s JOIN ${t.webhookAttempts} a ON a.delivery_id = s.id
)
SELECT (SELECT json_agg(hours ORDER BY i) FROM hours) AS hours, latency.deliveries, latency.attempts, latency.p50, latency.p95 FROM latency`;

/** One hour of the chart: deliveries created in it, by their state now. */
export interface ChartHour {
  /** Start of the hour (UTC), ISO 8601. */
  hour: string;
  succeeded: number;
  failed: number;
  /** Pending after at least one failed attempt: a retry is scheduled. */
  retrying: number;
  /** Pending, not attempted yet (or its webhook is switched off). */
  waiting: number;
}

export interface DeliveryChart {
  from: string;
  to: string;
  hours: ChartHour[];
  /**
   * Duration percentiles in ms (null when none) of the attempts of the window's newest
   * deliveries: `deliveries` of them (at most {@link LATENCY_SAMPLE}) with `attempts` attempts.
   */
  latency: { deliveries: number; attempts: number; p50Ms: number | null; p95Ms: number | null };
}

/** The window of the chart at `now`: the 23 full UTC hours before the current one, and the current one. */
export function chartWindow(now: Date): { from: Date; to: Date } {
  const to = Math.floor(now.getTime() / HOUR) * HOUR + HOUR;
  return { from: new Date(to - CHART_HOURS * HOUR), to: new Date(to) };
}

/** The chart of one `webhooks` row at `now`. */
export async function deliveryChart(dataSource: DataSource, webhookId: number, now: Date): Promise<DeliveryChart> {
  const { from, to } = chartWindow(now);
  const [row] = (await dataSource.query(statementsOf(dataSource)(DELIVERY_CHART), [webhookId, from, LATENCY_SAMPLE])) as Array<{
    hours: Array<{ i: number; succeeded: number; failed: number; retrying: number; waiting: number }>;
    deliveries: number;
    attempts: number;
    p50: number | null;
    p95: number | null;
  }>;
  const hours = row.hours.map(({ i, succeeded, failed, retrying, waiting }) => ({ hour: new Date(from.getTime() + i * HOUR).toISOString(), succeeded, failed, retrying, waiting }));
  const ms = (value: number | null) => (value === null ? null : Math.round(Number(value)));
  return { from: from.toISOString(), to: to.toISOString(), hours, latency: { deliveries: row.deliveries, attempts: row.attempts, p50Ms: ms(row.p50), p95Ms: ms(row.p95) } };
}

/**
 * The account's endpoints failing now: the failure clock is running (`failing_since`, set by
 * the first failure after a success and cleared by the next success), or they were switched off
 * by a 410 or for failing too long. For each, its deliveries of the last 24 hours by state and
 * the latest answer among its 100 newest deliveries. The `webhooks` rows of one account are few; each
 * count is a range of `index_webhook_deliveries_on_webhook_id_and_created_at`.
 */
export const FAILING_ENDPOINTS = (t: Tables): string => `
SELECT w.id, w.webhook_type AS kind, w.url, w.name, w.inbox_id, w.agent_bot_id, w.enabled, w.disabled_reason, w.failing_since,
       s.succeeded, s.failed, s.retrying, last.last_status_code, last.last_error, last.last_attempt_at
FROM ${t.webhooks} w
CROSS JOIN LATERAL (
  SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
         count(*) FILTER (WHERE status = 'failed')::int AS failed,
         count(*) FILTER (WHERE status = 'pending' AND attempts > 0)::int AS retrying
  FROM ${t.webhookDeliveries} d WHERE d.webhook_id = w.id AND d.created_at >= $2
) s
LEFT JOIN LATERAL (
  -- The newest answer among the newest deliveries (a retry of an older one may be the latest).
  SELECT r.last_status_code, r.last_error, r.last_attempt_at FROM (
    SELECT d.last_status_code, d.last_error, d.last_attempt_at, d.created_at FROM ${t.webhookDeliveries} d
    WHERE d.webhook_id = w.id ORDER BY d.created_at DESC LIMIT 100
  ) r WHERE r.last_attempt_at IS NOT NULL ORDER BY r.last_attempt_at DESC, r.created_at DESC LIMIT 1
) last ON true
WHERE w.account_id = $1 AND (w.failing_since IS NOT NULL OR w.disabled_reason IN ('gone', 'failing'))
ORDER BY w.failing_since NULLS LAST, w.id`;

export interface FailingEndpoint {
  id: number;
  kind: number;
  url: string;
  name: string | null;
  inbox_id: number | null;
  agent_bot_id: number | null;
  enabled: boolean;
  disabled_reason: string | null;
  failing_since: Date | null;
  succeeded: number;
  failed: number;
  retrying: number;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
}

/** {@link FAILING_ENDPOINTS} for one account at `now`. */
export async function failingEndpoints(dataSource: DataSource, accountId: number, now: Date): Promise<FailingEndpoint[]> {
  return (await dataSource.query(statementsOf(dataSource)(FAILING_ENDPOINTS), [accountId, new Date(now.getTime() - CHART_HOURS * HOUR)])) as FailingEndpoint[];
}
