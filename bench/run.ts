/**
 * `npm run bench` (add `-- --quick` for the CI smoke run): every scenario of issues 6, 12, 13 and 17,
 * including the BullMQ peer (`peer.ts`, Redis at REDIS_URL), against real PostgreSQL
 * (DATABASE_URL) and a receiver process on 127.0.0.1, `--runs=N` times (default 3, 1 with
 * --quick); then a table of each key's min, median and max and a JSON file (bench/results.json,
 * or bench/results.quick.json with --quick). Exits 1 when a scenario failed
 * to produce its numbers (or the library crashed the process: what was measured until then is
 * still written); a missed target is reported, not an error.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { measureBacklogRss } from "./backlog-rss";
import { benchConfig, type BenchConfig } from "./config";
import { dropLeftoversSync } from "./database";
import { measureFairness } from "./fairness";
import { measureIsolation } from "./isolation";
import { measureOrdering } from "./ordering";
import { measureLatency, measurePeerLatency, type LatencyResult } from "./latency";
import { describeMachine, type Machine } from "./machine";
import { dropPeerKeysSync } from "./peer";
import { measurePeerThroughput } from "./peer-throughput";
import { log } from "./progress";
import { startReceiverProcess, type ReceiverProcess } from "./receiver-client";
import { formatTable, summarize, TARGETS, type Summary } from "./report";
import { measureSaveOverhead } from "./save-overhead";
import { round } from "./stats";
import { measureThroughput } from "./throughput";

const quick = process.argv.includes("--quick");
/** `--only=throughput,latency`: run just these scenarios (for profiling); results go to results.only.json. */
const only = process.argv.find((arg) => arg.startsWith("--only="))?.slice("--only=".length).split(",") ?? null;
/** `--runs=N`: every scenario N times (default 3, 1 with --quick); each key is reported as min, median and max. */
const runs = parseRuns(process.argv.find((arg) => arg.startsWith("--runs="))?.slice("--runs=".length));
/** The scenario that measures a key. */
const SCENARIO_OF: Array<[prefix: string, scenario: string]> = [
  ["save_overhead", "save-overhead"],
  ["peer_save", "save-overhead"],
  ["throughput", "throughput"],
  ["ceiling", "throughput"],
  ["peer_throughput", "throughput"],
  ["latency", "latency"],
  ["peer_latency", "latency"],
  ["isolation", "isolation"],
  ["backlog", "backlog-rss"],
  ["fairness", "fairness"],
  ["ordered", "ordering"],
];
/** Decimals kept per key (ratios 3, rates 0, milliseconds 2, megabytes 1). */
const digitsOf = (key: string): number => (key.endsWith("_ratio") || key.includes("_ratio_") ? 3 : key.endsWith("_per_s") ? 0 : key.endsWith("_mb") ? 1 : 2);
const ran = (key: string) => only === null || only.includes(SCENARIO_OF.find(([prefix]) => key.startsWith(prefix))?.[1] ?? "");
/** The whole run is stopped after this long, whatever hangs (the receiver process enforces it too, see receiver-client). */
const WATCHDOG_MS = (quick ? 4 : 25) * 60_000 * runs;
const started = performance.now();

/** What one run of every scenario measured. */
interface RunRecord {
  run: number;
  load_at_start: number;
  load_at_end?: number;
  duration_s?: number;
  values: Record<string, number | null>;
  details: Record<string, number>;
}
const records: RunRecord[] = [];
const errors: Record<string, string> = {};
let machine: Machine | null = null;
let current = "bench";
let finished = false;

function parseRuns(text: string | undefined): number {
  if (text === undefined) return quick ? 1 : 3;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`[bench] --runs must be a whole number ≥ 1, got "${text}"`);
    process.exit(2);
  }
  return n;
}

/** Print the table and write the results file; safe to call once from any exit path. */
function finish(): number {
  if (finished) return 1;
  finished = true;
  if (machine) machine.load_at_end = round(os.loadavg()[0], 2);
  const m = machine as Machine | null;
  const machineLine = m ? `${m.cores} cores (${m.cpu}), Node ${m.node}, ${m.postgres.split(" on ")[0]}, load ${m.load_at_start} → ${m.load_at_end}, commit ${m.commit}` : "n/a";
  const summaries: Record<string, Summary> = Object.fromEntries(
    TARGETS.map(({ key }) => [key, summarize(key, records.map((record) => record.values[key] ?? null), ran(key), digitsOf(key))]),
  );
  const results = {
    generated_at: new Date().toISOString(),
    quick,
    runs,
    runs_completed: records.filter((record) => record.duration_s !== undefined).length,
    duration_s: round((performance.now() - started) / 1000, 1),
    ...summaries,
    machine: m,
    per_run: records,
    errors,
  };
  const file = path.resolve(__dirname, "../../bench", only ? "results.only.json" : quick ? "results.quick.json" : "results.json");
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${formatTable(summaries, runs, machineLine)}\n`);
  console.log(`[bench] ${results.duration_s} s; results written to ${file}`);
  const failed = Object.keys(errors);
  if (failed.length > 0) console.error(`[bench] scenarios that failed: ${failed.join(", ")}`);
  return failed.length > 0 ? 1 : 0;
}

/**
 * Run one scenario, or one part of it (`throughput:peer`), recording its failure under its name
 * (and run number when there are several runs) without stopping the others.
 */
async function scenario(name: string, run: number, body: () => Promise<void>): Promise<void> {
  if (only && name !== "machine" && !only.includes(name.split(":")[0])) return;
  const at = performance.now();
  const label = runs > 1 && name !== "machine" ? `${name} (run ${run})` : name;
  current = label;
  try {
    await body();
    log(name, `done in ${((performance.now() - at) / 1000).toFixed(1)} s`);
  } catch (error) {
    errors[label] = (error as Error).stack ?? String(error);
    console.error(`[${name}] FAILED:`, error);
  }
}

/** Ours and the peer's part of a scenario, the peer first on even-numbered runs (drift cancels over runs). */
async function sideBySide(run: number, ours: () => Promise<void>, peer: () => Promise<void>): Promise<void> {
  if (run % 2 === 0) {
    await peer();
    await ours();
  } else {
    await ours();
    await peer();
  }
}

/** Every scenario once; what it measures goes into `record`. */
async function runOnce(config: BenchConfig, receiver: ReceiverProcess, run: number, record: RunRecord): Promise<void> {
  const { values, details } = record;
  const set = (key: string, value: number) => (values[key] = round(value, digitsOf(key)));
  await scenario("save-overhead", run, async () => {
    const result = await measureSaveOverhead(config, receiver);
    set("save_overhead_ratio", result.ratio);
    set("save_overhead_ratio_dispatcher_on", result.ratioDispatcherOn);
    if (result.peerRatio !== null) set("peer_save_ratio", result.peerRatio);
    Object.assign(details, result.details);
    if (result.peerError) errors[runs > 1 ? `save-overhead:peer (run ${run})` : "save-overhead:peer"] = result.peerError.stack ?? String(result.peerError);
  });

  let ours: number | null = null;
  let peer: number | null = null;
  await sideBySide(
    run,
    () =>
      scenario("throughput", run, async () => {
        const result = await measureThroughput(config, receiver);
        ours = result.throughputPerSecond;
        set("throughput_per_s", result.throughputPerSecond);
        set("ceiling_per_s", result.ceilingPerSecond);
        set("throughput_ratio", result.throughputPerSecond / result.ceilingPerSecond);
        Object.assign(details, result.details);
      }),
    () =>
      scenario("throughput:peer", run, async () => {
        const result = await measurePeerThroughput(config, receiver);
        peer = result.throughputPerSecond;
        set("peer_throughput_per_s", result.throughputPerSecond);
        Object.assign(details, result.details);
      }),
  );
  if (ours !== null && peer !== null) set("peer_throughput_ratio", ours / peer);

  let oursLatency: LatencyResult | null = null;
  let peerLatency: LatencyResult | null = null;
  await sideBySide(
    run,
    () =>
      scenario("latency", run, async () => {
        const result = await measureLatency(config, receiver);
        oursLatency = result;
        set("latency_p50_ms", result.p50);
        set("latency_p99_ms", result.p99);
        Object.assign(details, result.details);
      }),
    () =>
      scenario("latency:peer", run, async () => {
        const result = await measurePeerLatency(config, receiver);
        peerLatency = result;
        set("peer_latency_p50_ms", result.p50);
        set("peer_latency_p99_ms", result.p99);
        Object.assign(details, result.details);
      }),
  );
  const [a, b] = [oursLatency as LatencyResult | null, peerLatency as LatencyResult | null];
  if (a && b) {
    set("peer_latency_p50_ratio", a.p50 / b.p50);
    set("peer_latency_p99_ratio", a.p99 / b.p99);
  }

  await scenario("isolation", run, async () => {
    const result = await measureIsolation(config, receiver);
    set("isolation_ratio", result.ratio);
    Object.assign(details, result.details);
  });
  await scenario("fairness", run, async () => {
    const result = await measureFairness(config, receiver);
    set("fairness_hanging_p99_ms", result.hangingP99);
    set("fairness_backlog_p99_ms", result.backlogP99);
    Object.assign(details, result.details);
  });
  await scenario("ordering", run, async () => {
    const result = await measureOrdering(config, receiver, run);
    set("ordered_throughput_ratio", result.ratio);
    Object.assign(details, result.details);
  });
  await scenario("backlog-rss", run, async () => {
    const result = await measureBacklogRss(config, receiver);
    set("backlog_peak_rss_mb", result.peakRssMb);
    Object.assign(details, result.details);
  });
}

async function main(): Promise<number> {
  const config = benchConfig(quick);
  const receiver: ReceiverProcess = await startReceiverProcess({ killParentAfterMs: WATCHDOG_MS + 60_000 });
  log("bench", `${quick ? "quick" : "full"} run, ${runs} time${runs === 1 ? "" : "s"} over; receiver at ${receiver.url}`);
  try {
    await scenario("machine", 0, async () => {
      machine = await describeMachine();
    });
    for (let run = 1; run <= runs; run += 1) {
      const runStarted = performance.now();
      const record: RunRecord = { run, load_at_start: round(os.loadavg()[0], 2), values: Object.fromEntries(TARGETS.map(({ key }) => [key, null])), details: {} };
      records.push(record);
      log("bench", `run ${run}/${runs} (load ${record.load_at_start})`);
      await runOnce(config, receiver, run, record);
      record.load_at_end = round(os.loadavg()[0], 2);
      record.duration_s = round((performance.now() - runStarted) / 1000, 1);
    }
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
  dropPeerKeysSync();
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
