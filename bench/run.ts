/**
 * `npm run bench` (add `-- --quick` for the CI smoke run): every scenario of issue 6 against real
 * PostgreSQL (DATABASE_URL) and a receiver process on 127.0.0.1, then a table and a JSON file
 * (bench/results.json, or bench/results.quick.json with --quick). Exits 1 when a scenario failed
 * to produce its numbers; a missed target is reported, not an error.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { measureBacklogRss } from "./backlog-rss";
import { benchConfig } from "./config";
import { measureIsolation } from "./isolation";
import { measureLatency } from "./latency";
import { describeMachine, type Machine } from "./machine";
import { log } from "./progress";
import { startReceiverProcess, type ReceiverProcess } from "./receiver-client";
import { formatTable, TARGETS, verdict } from "./report";
import { measureSaveOverhead } from "./save-overhead";
import { round } from "./stats";
import { measureThroughput } from "./throughput";

/** The whole run is stopped after this long, whatever hangs. */
const WATCHDOG_MS = { quick: 3 * 60_000, full: 25 * 60_000 };

async function main(): Promise<number> {
  const quick = process.argv.includes("--quick");
  const config = benchConfig(quick);
  const watchdog = setTimeout(
    () => {
      console.error(`[bench] still running after ${(quick ? WATCHDOG_MS.quick : WATCHDOG_MS.full) / 60_000} min: giving up`);
      process.exit(2);
    },
    quick ? WATCHDOG_MS.quick : WATCHDOG_MS.full,
  );
  watchdog.unref();

  const started = performance.now();
  const values: Record<string, number | null> = Object.fromEntries(TARGETS.map(({ key }) => [key, null]));
  const details: Record<string, number> = {};
  const errors: Record<string, string> = {};
  let machine: Machine | null = null;

  const receiver: ReceiverProcess = await startReceiverProcess();
  log("bench", `${quick ? "quick" : "full"} run; receiver at ${receiver.url}`);
  const scenario = async (name: string, body: () => Promise<void>) => {
    const at = performance.now();
    try {
      await body();
      log(name, `done in ${((performance.now() - at) / 1000).toFixed(1)} s`);
    } catch (error) {
      errors[name] = (error as Error).stack ?? String(error);
      console.error(`[${name}] FAILED:`, error);
    }
  };

  try {
    await scenario("machine", async () => {
      machine = await describeMachine();
    });
    await scenario("save-overhead", async () => {
      const result = await measureSaveOverhead(config, receiver);
      values.save_overhead_ratio = round(result.ratio, 3);
      values.save_overhead_ratio_dispatcher_on = round(result.ratioDispatcherOn, 3);
      Object.assign(details, result.details);
    });
    await scenario("throughput", async () => {
      const result = await measureThroughput(config, receiver);
      values.throughput_per_s = round(result.throughputPerSecond, 0);
      values.ceiling_per_s = round(result.ceilingPerSecond, 0);
      values.throughput_ratio = round(result.throughputPerSecond / result.ceilingPerSecond, 3);
      Object.assign(details, result.details);
    });
    await scenario("latency", async () => {
      const result = await measureLatency(config, receiver);
      values.latency_p50_ms = round(result.p50, 2);
      values.latency_p99_ms = round(result.p99, 2);
      Object.assign(details, result.details);
    });
    await scenario("isolation", async () => {
      const result = await measureIsolation(config, receiver);
      values.isolation_ratio = round(result.ratio, 3);
      Object.assign(details, result.details);
    });
    await scenario("backlog-rss", async () => {
      const result = await measureBacklogRss(config, receiver);
      values.backlog_peak_rss_mb = round(result.peakRssMb, 1);
      Object.assign(details, result.details);
    });
  } finally {
    await receiver.close().catch(() => undefined);
  }

  const m = machine as Machine | null;
  if (m) m.load_at_end = round(os.loadavg()[0], 2);
  const machineLine = m ? `${m.cores} cores (${m.cpu}), Node ${m.node}, ${m.postgres.split(" on ")[0]}, load ${m.load_at_start} → ${m.load_at_end}` : "n/a";
  const results = {
    generated_at: new Date().toISOString(),
    quick,
    duration_s: round((performance.now() - started) / 1000, 1),
    ...values,
    machine: m,
    met: Object.fromEntries(TARGETS.map(({ key }) => [key, verdict(key, values[key])])),
    details,
    errors,
  };
  const file = path.resolve(__dirname, "../../bench", quick ? "results.quick.json" : "results.json");
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);

  console.log(`\n${formatTable(values, machineLine)}\n`);
  console.log(`[bench] ${results.duration_s} s; results written to ${file}`);
  const failed = Object.keys(errors);
  if (failed.length > 0) console.error(`[bench] scenarios that failed: ${failed.join(", ")}`);
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error("[bench] crashed:", error);
    process.exit(1);
  },
);
