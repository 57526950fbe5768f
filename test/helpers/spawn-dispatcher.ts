import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

/**
 * A dispatcher in a process of its own (test/helpers/dispatcher-process.ts) on the database at
 * `url`; resolves once it runs. `env` reaches it (TIMEOUT_MS, RETRY_SCHEDULE, ...).
 */
export function startDispatcherProcess(url: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "test/helpers/dispatcher-process.ts", url], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_OPTIONS: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dispatcher process did not start: ${stderr}`)), 30_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on("exit", (code) => reject(new Error(`dispatcher process exited with ${code}: ${stderr}`)));
  });
}
