import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { admin } from "./database";

/** What the numbers were measured on. */
export interface Machine {
  cores: number;
  cpu: string;
  memory_gb: number;
  node: string;
  postgres: string;
  platform: string;
  /** 1-minute load average when the run started (other work on the machine skews every figure). */
  load_at_start: number;
  load_at_end?: number;
  /** The commit measured, `+dirty` when the tree had changes. */
  commit: string;
}

export async function describeMachine(): Promise<Machine> {
  const [{ version }] = await admin<{ version: string }>("SELECT version()");
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? "unknown",
    memory_gb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    postgres: version,
    platform: `${os.platform()} ${os.release()}`,
    load_at_start: Math.round(os.loadavg()[0] * 100) / 100,
    commit: currentCommit(),
  };
}

function currentCommit(): string {
  try {
    const root = path.resolve(__dirname, "../..");
    const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = git("status", "--porcelain", "--", "src").length > 0;
    return `${git("rev-parse", "--short", "HEAD")}${dirty ? "+dirty" : ""}`;
  } catch {
    return "unknown";
  }
}
