import { median } from "./stats";

/** The keys every run writes, in report order, with their targets (issues 6, 12 and 13). */
export const TARGETS: ReadonlyArray<{ key: string; target: string; met?: (value: number) => boolean }> = [
  { key: "save_overhead_ratio", target: "≤ 1.15", met: (v) => v <= 1.15 },
  { key: "save_overhead_ratio_dispatcher_on", target: "≤ 2", met: (v) => v <= 2 },
  { key: "throughput_per_s", target: "reported" },
  { key: "ceiling_per_s", target: "reported" },
  { key: "throughput_ratio", target: "≥ 0.7", met: (v) => v >= 0.7 },
  { key: "latency_p50_ms", target: "≤ 10", met: (v) => v <= 10 },
  { key: "latency_p99_ms", target: "≤ 50", met: (v) => v <= 50 },
  { key: "isolation_ratio", target: "≥ 0.8", met: (v) => v >= 0.8 },
  { key: "backlog_peak_rss_mb", target: "≤ 300", met: (v) => v <= 300 },
  { key: "peer_throughput_per_s", target: "reported" },
  { key: "peer_throughput_ratio", target: "≥ 2", met: (v) => v >= 2 },
  { key: "peer_latency_p50_ms", target: "reported" },
  { key: "peer_latency_p99_ms", target: "reported" },
  { key: "peer_latency_p50_ratio", target: "≤ 0.8", met: (v) => v <= 0.8 },
  { key: "peer_latency_p99_ratio", target: "≤ 0.8", met: (v) => v <= 0.8 },
  { key: "peer_save_ratio", target: "≤ 1.0", met: (v) => v <= 1.0 },
  { key: "fairness_hanging_p99_ms", target: "≤ 2000", met: (v) => v <= 2000 },
  { key: "fairness_backlog_p99_ms", target: "≤ 2000", met: (v) => v <= 2000 },
  { key: "ordered_throughput_ratio", target: "≥ 0.8", met: (v) => v >= 0.8 },
];

export type Verdict = "yes" | "NO" | "-" | "error" | "not run";

/**
 * Whether a value meets its target: "-" when there is no target, "error" when it was not
 * measured, "not run" when `--only` left its scenario out.
 */
export function verdict(key: string, value: number | null, ran = true): Verdict {
  const entry = TARGETS.find((target) => target.key === key);
  if (!ran) return "not run";
  if (value === null || !Number.isFinite(value)) return "error";
  if (!entry?.met) return "-";
  return entry.met(value) ? "yes" : "NO";
}

/** One key over the runs: `met` is judged on the median; `runs` counts the runs that measured it. */
export interface Summary {
  min: number | null;
  median: number | null;
  max: number | null;
  target: string;
  met: Verdict;
  runs: number;
}

/** Min, median and max of one key's values (null where a run did not measure it). */
export function summarize(key: string, values: ReadonlyArray<number | null>, ran: boolean, digits: number): Summary {
  const measured = values.filter((value): value is number => value !== null && Number.isFinite(value));
  const target = TARGETS.find((entry) => entry.key === key)?.target ?? "reported";
  if (measured.length === 0) return { min: null, median: null, max: null, target, met: verdict(key, null, ran), runs: 0 };
  const factor = 10 ** digits;
  const mid = Math.round(median(measured) * factor) / factor;
  return { min: Math.min(...measured), median: mid, max: Math.max(...measured), target, met: verdict(key, mid, ran), runs: measured.length };
}

/** The final table: key, min, median, max, target, met (on the median). */
export function formatTable(summaries: Record<string, Summary>, runs: number, machine: string): string {
  const show = (value: number | null) => (value === null ? "n/a" : String(value));
  const header = ["key", "min", "median", "max", "target", `met (median of ${runs} run${runs === 1 ? "" : "s"})`];
  const rows = [header, ...TARGETS.map(({ key }) => {
    const s = summaries[key];
    return [key, show(s.min), show(s.median), show(s.max), s.target, s.met];
  })];
  const widths = header.map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd();
  return [line(rows[0]), widths.map((width) => "-".repeat(width)).join("  "), ...rows.slice(1).map(line), "", `machine: ${machine}`].join("\n");
}
