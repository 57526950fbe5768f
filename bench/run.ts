/**
 * `npm run bench` (add `-- --quick` for the CI smoke run): every scenario of issue 6 against real
 * PostgreSQL (DATABASE_URL) and a receiver process on 127.0.0.1, then a table and a JSON file
 * (bench/results.json, or bench/results.quick.json with --quick). Exits 1 when a scenario failed
 * to produce its numbers (or the library crashed the process: what was measured until then is
 * still written); a missed target is reported, not an error.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { measureBacklogRss } from "./backlog-rss";
import { benchConfig } from "./config";
import { dropLeftoversSync } from "./database";
import { measureIsolation } from "./isolation";
import { measureLatency } from "./latency";
import { describeMachine, type Machine } from "./machine";
import { log } from "./progress";
import { startReceiverProcess, type ReceiverProcess } from "./receiver-client";
import { formatTable, TARGETS, verdict } from "./report";
import { measureSaveOverhead } from "./save-overhead";
import { round } from "./stats";
import { measureThroughput } from "./throughput";

const quick = process.argv.includes("--quick");
/** `--only=throughput,latency`: run just these scenarios (for profiling); results go to results.only.json. */
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length).split(",") ?? null;
/** The scenario that measures a key. */
const SCENARIO_OF: Array<[prefix: string, scenario: string]> = [
  ["save_overhead", "save-overhead"],
  ["throughput", "throughput"],
  ["ceiling", "throughput"],
  ["latency", "latency"],
  ["isolation", "isolation"],
  ["backlog", "backlog-rss"],
];
const ran = (key: string) => only === null || only.includes(SCENARIO_OF.find(([prefix]) => key.startsWith(prefix))?.[1] ?? "");
/** The whole run is stopped after this long, whatever hangs (the receiver process enforces it too, see receiver-client). */
const WATCHDOG_MS = (quick ? 3 : 25) * 60_000;
const started = performance.now();
const values: Record<string, number | null> = Object.fromEntries(TARGETS.map(({ key }) => [key, null]));
const details: Record<string, number> = {};
const errors: Record<string, string> = {};
let machine: Machine | null = null;
let current = "bench";
let finished = false;

/** Print the table and write the results file; safe to call once from any exit path. */
function finish(): number {
  if (finished) return 1;
  finished = true;
  if (machine) machine.load_at_end = round(os.loadavg()[0], 2);
  const m = machine as Machine | null;
  const machineLine = m ? `${m.cores} cores (${m.cpu}), Node ${m.node}, ${m.postgres.split(" on ")[0]}, load ${m.load_at_start} → ${m.load_at_end}, commit ${m.commit}` : "n/a";
  const results = {
    generated_at: new Date().toISOString(),
    quick,
    duration_s: round((performance.now() - started) / 1000, 1),
    ...values,
    machine: m,
    met: Object.fromEntries(TARGETS.map(({ key }) => [key, verdict(key, values[key], ran(key))])),
    details,
    errors,
  };
  const file = path.resolve(__dirname, "../../bench", only ? "results.only.json" : quick ? "results.quick.json" : "results.json");
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${formatTable(values, machineLine, ran)}\n`);
  console.log(`[bench] ${results.duration_s} s; results written to ${file}`);
  const failed = Object.keys(errors);
  if (failed.length > 0) console.error(`[bench] scenarios that failed: ${failed.join(", ")}`);
  return failed.length > 0 ? 1 : 0;
}

async function scenario(name: string, body: () => Promise<void>): Promise<void> {
  if (only && name !== "machine" && !only.includes(name)) return;
  const at = performance.now();
  current = name;
  try {
    await body();
    log(name, `done in ${((performance.now() - at) / 1000).toFixed(1)} s`);
  } catch (error) {
    errors[name] = (error as Error).stack ?? String(error);
    console.error(`[${name}] FAILED:`, error);
  }
}

async function main(): Promise<number> {
  const config = benchConfig(quick);
  const receiver: ReceiverProcess = await startReceiverProcess({ killParentAfterMs: WATCHDOG_MS + 60_000 });
  log("bench", `${quick ? "quick" : "full"} run; receiver at ${receiver.url}`);
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
  return finish();
}

/**
 * Record why the run ended early, write what there is, drop this run's databases and exit, all
 * without waiting on this process's event loop (a crashed library may have left it unusable).
 */
function abort(reason: string, code: number): never {
  errors[current] = reason;
  console.error(`[bench] ${reason}`);
  finish();
  dropLeftoversSync();
  process.exit(code);
}

const watchdog = setTimeout(() => abort(`still running after ${WATCHDOG_MS / 60_000} min: gave up in "${current}"`, 2), WATCHDOG_MS);
watchdog.unref();
// An exception thrown from the library's own callbacks (not from a scenario's awaits) would
// otherwise end the process without a results file.
process.on("uncaughtException", (error) => abort(`the process crashed during "${current}": ${error.stack ?? String(error)}`, 1));

main().then(
  (code) => process.exit(code),
  (error: Error) => abort(`crashed: ${error.stack ?? String(error)}`, 1),
);
