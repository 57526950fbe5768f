/**
 * What the settings page's delivery queries cost on a large log: 1 million deliveries (and their
 * events and attempts) generated in a scratch database, then EXPLAIN (ANALYZE, BUFFERS) of the
 * exact statements the routes and the metrics scrape run. Not part of `npm run bench`:
 *
 *   npx ts-node --transpile-only bench/chart-query-cost.ts [--rows=1000000] [--webhooks=1] [--plans]
 *
 * Two shapes of the same million rows over the 14 days of retention: spread over 100 webhooks
 * (about 700 deliveries per webhook in the chart's 24 hours), and all to one webhook (about
 * 71,000 in its 24 hours, the worst case for one chart).
 */
import { DELIVERY_CHART, FAILING_ENDPOINTS, LATENCY_SAMPLE, chartWindow } from "../src/routes/delivery-stats-queries";
import { QUEUE_GAUGES } from "../src/observability/sql/queue-gauges";
import { tablesOf } from "../src/tables";
import { createBenchDatabase } from "./database";

const ROWS = Number(process.argv.find((arg) => arg.startsWith("--rows="))?.slice(7) ?? 1_000_000);
const RUNS = 7;
const DAY_S = 24 * 3600;

async function main(): Promise<void> {
  const db = await createBenchDatabase("chart_cost");
  const ds = db.dataSource;
  const t = tablesOf(ds);
  const now = new Date();
  try {
    const only = process.argv.find((arg) => arg.startsWith("--webhooks="))?.slice(11);
    for (const webhooks of only ? [Number(only)] : [100, 1]) {
      await generate(ds, webhooks, now);
      const { from, to } = chartWindow(now);
      const report = async (label: string, sql: string, params: unknown[]) => {
        const times: number[] = [];
        let plan = "";
        for (let run = 0; run < RUNS; run += 1) {
          const rows = (await ds.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) ${sql}`, params)) as Array<{ "QUERY PLAN": string }>;
          plan = rows.map((row) => row["QUERY PLAN"]).join("\n");
          times.push(Number(/Execution Time: ([\d.]+) ms/.exec(plan)?.[1]));
        }
        const sorted = [...times].sort((a, b) => a - b);
        console.log(`\n## ${label} (${webhooks} webhook${webhooks > 1 ? "s" : ""}): first ${times[0].toFixed(1)} ms, median of ${RUNS} ${sorted[RUNS >> 1].toFixed(1)} ms, max ${sorted[RUNS - 1].toFixed(1)} ms`);
        if (process.argv.includes("--plans")) console.log(plan);
        else console.log(plan.split("\n").filter((line) => /Index|Seq Scan|Buffers: shared|Execution Time|rows=\d+ loops/.test(line)).slice(0, 12).join("\n"));
      };
      const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM ${t.webhookDeliveries} WHERE webhook_id = 1 AND created_at >= $1 AND created_at < $2`, [from, to])) as Array<{ n: number }>;
      console.log(`\n# ${ROWS} deliveries over 14 days to ${webhooks} webhook(s); webhook 1 has ${n} in the chart's window`);
      await report("chart of webhook 1 (GET .../webhooks/1/delivery_stats)", DELIVERY_CHART(t), [1, from, LATENCY_SAMPLE]);
      await report("failing endpoints of the account (GET .../webhooks/failing)", FAILING_ENDPOINTS(t), [1, new Date(now.getTime() - DAY_S * 1000)]);
      await report("queue gauges (each /metrics scrape)", QUEUE_GAUGES(t), [now]);
    }
  } finally {
    await db.drop();
  }
}

/** ROWS events, deliveries and their attempts, created uniformly over 14 days before `now`. */
async function generate(ds: import("typeorm").DataSource, webhooks: number, now: Date): Promise<void> {
  const t = tablesOf(ds);
  const started = Date.now();
  await ds.query(`TRUNCATE ${t.webhookAttempts}, ${t.webhookDeliveries}, ${t.webhookEvents}, ${t.webhooks}, ${t.accounts} RESTART IDENTITY CASCADE`);
  await ds.query(`INSERT INTO ${t.accounts} (name) VALUES ('Bench')`);
  // Every tenth webhook is failing now (its failure clock runs), so the overview has rows to show.
  await ds.query(
    `INSERT INTO ${t.webhooks} (account_id, url, subscriptions, secret, failing_since)
     SELECT 1, 'https://example.test/hook/' || i, '["message_created"]', 'secret', CASE WHEN i % 10 = 1 THEN $1::timestamptz - interval '2 hours' END
     FROM generate_series(1, $2::int) AS i`,
    [now, webhooks],
  );
  await ds.query(
    `INSERT INTO ${t.webhookEvents} (account_id, event, subject_type, subject_id, body, fanned_out_at, created_at)
     SELECT 1, 'message_created', 'Message', i, NULL, at, at
     FROM (SELECT i, $1::timestamptz - make_interval(secs => (i::float8 / $2) * 14 * ${DAY_S}) AS at FROM generate_series(1, $2::int) AS i) AS g`,
    [now, ROWS],
  );
  // 90 % delivered at once, 4 % on the second attempt, 3 % failed after 8, 3 % pending (the newest).
  await ds.query(
    `INSERT INTO ${t.webhookDeliveries} (id, event_id, webhook_id, account_id, event, status, attempts, next_attempt_at, last_attempt_at, last_status_code, created_at, completed_at)
     SELECT gen_random_uuid(), e.id, 1 + (e.id % $1::int), 1, e.event,
            CASE WHEN e.id % 100 < 94 THEN 'succeeded' WHEN e.id % 100 < 97 THEN 'failed' ELSE 'pending' END,
            CASE WHEN e.id % 100 < 90 THEN 1 WHEN e.id % 100 < 94 THEN 2 WHEN e.id % 100 < 97 THEN 8 WHEN e.id % 100 < 99 THEN 1 ELSE 0 END,
            CASE WHEN e.id % 100 >= 97 THEN e.created_at + interval '5 minutes' END,
            CASE WHEN e.id % 100 < 99 THEN e.created_at END,
            CASE WHEN e.id % 100 < 94 THEN 200 WHEN e.id % 100 < 99 THEN 500 END,
            e.created_at, CASE WHEN e.id % 100 < 97 THEN e.created_at END
     FROM ${t.webhookEvents} e`,
    [webhooks],
  );
  await ds.query(
    `INSERT INTO ${t.webhookAttempts} (delivery_id, attempted_at, duration_ms, status_code, trigger)
     SELECT d.id, d.created_at + make_interval(secs => n * 60), 20 + (hashtext(d.id::text || n) & 1023) % 400, CASE WHEN n = d.attempts AND d.status = 'succeeded' THEN 200 ELSE 500 END, 'scheduled'
     FROM ${t.webhookDeliveries} d CROSS JOIN LATERAL generate_series(1, d.attempts) AS n`,
  );
  await ds.query(`VACUUM ANALYZE ${t.webhookEvents}, ${t.webhookDeliveries}, ${t.webhookAttempts}, ${t.webhooks}`);
  const [{ attempts }] = (await ds.query(`SELECT count(*)::int AS attempts FROM ${t.webhookAttempts}`)) as Array<{ attempts: number }>;
  console.log(`\n(generated ${ROWS} events and deliveries, ${attempts} attempts, in ${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
