import { writeFileSync } from "node:fs";
import path from "node:path";
import { Session } from "node:inspector";

/**
 * A CPU profile of one stretch of this process, written to `$BENCH_PROFILE_DIR/<name>.cpuprofile`
 * (open it in Chrome DevTools). Does nothing when the variable is unset.
 */
export function startProfile(name: string): () => Promise<void> {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return async () => undefined;
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.start");
  return () =>
    new Promise<void>((resolve, reject) => {
      session.post("Profiler.stop", (error, result) => {
        session.disconnect();
        if (error) return reject(error);
        const file = path.join(dir, `${name}.cpuprofile`);
        writeFileSync(file, JSON.stringify(result.profile));
        console.log(`[profile] ${file}`);
        resolve();
      });
    });
}
