/** The keys every run writes, in report order, with their targets (issue 6). */
export const TARGETS: ReadonlyArray<{ key: string; target: string; met?: (value: number) => boolean }> = [
  { key: "save_overhead_ratio", target: "≤ 1.25", met: (v) => v <= 1.25 },
  { key: "save_overhead_ratio_dispatcher_on", target: "reported" },
  { key: "throughput_per_s", target: "reported" },
  { key: "ceiling_per_s", target: "reported" },
  { key: "throughput_ratio", target: "≥ 0.7", met: (v) => v >= 0.7 },
  { key: "latency_p50_ms", target: "≤ 10", met: (v) => v <= 10 },
  { key: "latency_p99_ms", target: "≤ 50", met: (v) => v <= 50 },
  { key: "isolation_ratio", target: "≥ 0.8", met: (v) => v >= 0.8 },
  { key: "backlog_peak_rss_mb", target: "≤ 300", met: (v) => v <= 300 },
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

/** The final table: key, value, target, met? */
export function formatTable(values: Record<string, number | null>, machine: string, ran: (key: string) => boolean = () => true): string {
  const rows = [["key", "value", "target", "met?"], ...TARGETS.map(({ key, target }) => [key, values[key] === null || values[key] === undefined ? "n/a" : String(values[key]), target, verdict(key, values[key] ?? null, ran(key))])];
  rows.push(["machine", machine, "", ""]);
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: string[]) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd();
  return [line(rows[0]), widths.map((width) => "-".repeat(width)).join("  "), ...rows.slice(1).map(line)].join("\n");
}
