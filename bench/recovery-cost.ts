/**
 * What a bulk recovery of 100,000 failed deliveries costs, in a scratch database with the
 * dispatcher running. Not part of `npm run bench`:
 *
 *   npx ts-node --transpile-only bench/recovery-cost.ts [--rows=100000]
 *
 * Account A's webhook has `rows` failed deliveries from the last day; account B's webhook gets
 * 20 messages a second throughout. Reported: how long the recovery takes to make them all due
 * (batches, time per batch), how long the dispatcher takes to re-send them to a local receiver,
 * and B's commit-to-arrival latency and the API's answer time (GET the webhook list) before,
 * during the recovery, and while the recovered backlog drains.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { createWebhooks } from "../src";
import { createBenchDatabase } from "./database";
import { saveMessage, seedScene } from "./scene";
import { percentile, round } from "./stats";

const ROWS = Number(process.argv.find((arg) => arg.startsWith("--rows="))?.slice(7) ?? 100_000);
const RATE_PER_S = 20;
const quiet = { debug() {}, info() {}, warn() {}, error: console.error };

async function main(): Promise<void> {
  const db = await createBenchDatabase("recovery_cost");
  const ds = db.dataSource;
  // One receiver for both webhooks: A's path counts re-sent deliveries, B's records arrival times.
  const arrivals = new Map<string, number>();
  let recovered = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.url?.startsWith("/a")) recovered += 1;
      else {
        const content = (JSON.parse(Buffer.concat(chunks).toString()) as { content?: string }).content;
        if (content) arrivals.set(content, Date.now());
      }
      res.end("ok");
    });
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => receiver.once("listening", resolve));
  const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const a = await seedScene(ds, { conversations: 1, webhookUrls: [`${base}/a`] });
  const b = await seedScene(ds, { conversations: 50, webhookUrls: [`${base}/b`] });
  const token = "bench-recovery-token";
  await ds.query(`UPDATE account_users SET role = 'administrator' WHERE account_id = $1`, [a.accountId]);
  await ds.query(`INSERT INTO access_tokens (token, user_id) VALUES ($1, $2)`, [token, a.userId]);

  console.log(`seeding ${ROWS} failed deliveries…`);
  await ds.query(
    `WITH ev AS (
       INSERT INTO webhook_events (account_id, event, body, fanned_out_at)
       SELECT $1, 'message_created', json_build_object('event', 'message_created', 'n', g)::text, now() FROM generate_series(1, $3) g RETURNING id)
     INSERT INTO webhook_deliveries (id, event_id, webhook_id, account_id, event, status, attempts, last_status_code, last_error, created_at, completed_at)
     SELECT gen_random_uuid(), ev.id, $2, $1, 'message_created', 'failed', 8, 500, 'HTTP 500', now() - interval '12 hours' + random() * interval '11 hours', now() - interval '30 minutes' FROM ev`,
    [a.accountId, a.webhookIds[0], ROWS],
  );
  await ds.query(`VACUUM ANALYZE webhook_deliveries`);

  const webhooks = createWebhooks({ dataSource: ds, allowPrivateNetwork: true, logger: quiet, messageSideEffects: false });
  const app = express();
  app.use("/api/v1", webhooks.router);
  const api = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => api.once("listening", resolve));
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/api/v1/accounts/${a.accountId}/webhooks`;
  const headers = { api_access_token: token, "content-type": "application/json" };
  await webhooks.dispatcher.start();

  // B's traffic and the API's answer times, sampled by phase.
  type Phase = "before" | "recovering" | "draining";
  let phase: Phase = "before";
  const sent = new Map<string, { at: number; phase: Phase }>();
  const apiTimes: Record<Phase, number[]> = { before: [], recovering: [], draining: [] };
  let n = 0;
  let traffic = true;
  const producer = (async () => {
    while (traffic) {
      const content = `b-${n}`;
      const at = Date.now();
      await saveMessage(ds, b, n, content);
      sent.set(content, { at, phase });
      n += 1;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 / RATE_PER_S - (Date.now() - at))));
    }
  })();
  const prober = (async () => {
    while (traffic) {
      const at = Date.now();
      const currentPhase = phase;
      await fetch(apiUrl, { headers });
      apiTimes[currentPhase].push(Date.now() - at);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 5000));

  phase = "recovering";
  const started = Date.now();
  const answer = await fetch(`${apiUrl}/${a.webhookIds[0]}/recover`, { method: "POST", headers, body: JSON.stringify({ since: new Date(Date.now() - 86_400_000).toISOString() }) });
  const postMs = Date.now() - started;
  const { payload } = (await answer.json()) as { payload: { recovery: { url: string; total: number } } };
  let state = { state: "running", done: 0, batches: 0, total: payload.recovery.total };
  while (state.state === "running") {
    await new Promise((resolve) => setTimeout(resolve, 50));
    state = ((await (await fetch(`http://127.0.0.1:${(api.address() as AddressInfo).port}${payload.recovery.url}`, { headers })).json()) as { payload: { recovery: typeof state } }).payload.recovery;
  }
  const recoveryMs = Date.now() - started;
  const sentDuringRecovery = recovered;
  phase = "draining";
  while (recovered < ROWS) await new Promise((resolve) => setTimeout(resolve, 100));
  const drainMs = Date.now() - started;
  traffic = false;
  await Promise.all([producer, prober]);
  await new Promise((resolve) => setTimeout(resolve, 2000));

  const latency = (which: Phase) => {
    const samples = [...sent].filter(([, s]) => s.phase === which).map(([content, s]) => (arrivals.get(content) ?? Infinity) - s.at);
    return `${samples.length} messages, p50 ${percentile(samples, 0.5)} ms, p99 ${percentile(samples, 0.99)} ms, max ${Math.max(...samples)} ms`;
  };
  const apiLine = (which: Phase) => `${apiTimes[which].length} requests, p50 ${percentile(apiTimes[which], 0.5)} ms, p99 ${percentile(apiTimes[which], 0.99)} ms`;
  console.log(`\n# bulk recovery of ${ROWS} failed deliveries (batch 1000, pause 10 ms), dispatcher running`);
  console.log(`POST …/recover answered 202 in ${postMs} ms (total ${payload.recovery.total})`);
  console.log(`all made due in ${round(recoveryMs / 1000, 1)} s: ${state.batches} batches, ${round(recoveryMs / state.batches, 1)} ms a batch including the pause; ${sentDuringRecovery} already re-sent by then`);
  console.log(`all ${ROWS} re-sent and received in ${round(drainMs / 1000, 1)} s (${round(ROWS / (drainMs / 1000), 0)} a second)`);
  console.log(`account B, commit → arrival: before ${latency("before")}; during the recovery ${latency("recovering")}; while the backlog drained ${latency("draining")}`);
  console.log(`GET …/webhooks: before ${apiLine("before")}; during ${apiLine("recovering")}; draining ${apiLine("draining")}`);
  await webhooks.close();
  api.close();
  receiver.close();
  await db.drop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
