import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { arch, platform } from "node:os";
import path from "node:path";

/** Flags for a headless Chromium on a machine whose network is closed (no background requests). */
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const DEBIAN_CHROMIUM = "/usr/bin/chromium";

/** Where the browser for the page tests comes from, decided without starting anything. */
export type BrowserSource = { kind: "env"; path: string } | { kind: "system"; path: string } | { kind: "bundled" } | { kind: "none"; reason: string };

/**
 * Which Chromium the browser tests drive, in this order: `CHROMIUM_PATH`; Debian's
 * `/usr/bin/chromium` (unless `TEST_BROWSER=bundled`, which CI sets to prove the next one works);
 * the Chromium that `@sparticuz/chromium` ships inside its npm package (Linux x64), unpacked to
 * the temporary directory on first use. `none` says why nothing can run here.
 */
export function browserSource(env: NodeJS.ProcessEnv = process.env): BrowserSource {
  if (env.CHROMIUM_PATH) return { kind: "env", path: env.CHROMIUM_PATH };
  if (env.TEST_BROWSER !== "bundled" && existsSync(DEBIAN_CHROMIUM)) return { kind: "system", path: DEBIAN_CHROMIUM };
  if (platform() !== "linux" || arch() !== "x64") return { kind: "none", reason: `no Chromium at ${DEBIAN_CHROMIUM}, no CHROMIUM_PATH, and the bundled @sparticuz/chromium only runs on Linux x64 (this is ${platform()} ${arch()})` };
  try {
    require.resolve("@sparticuz/chromium");
  } catch {
    return { kind: "none", reason: "no Chromium at /usr/bin/chromium, no CHROMIUM_PATH, and @sparticuz/chromium is not installed (run npm ci)" };
  }
  return { kind: "bundled" };
}

/**
 * What to launch: the executable, and for the bundled build the environment it needs (it brings
 * its own libraries). Without `env`, the browser inherits this process's environment; an empty
 * object would start it with none at all.
 */
export interface BrowserLaunch {
  executablePath: string;
  env?: Record<string, string>;
}

/** The executable (and environment) for a source that is not `none`. */
export function browserLaunch(source: Exclude<BrowserSource, { kind: "none" }>): BrowserLaunch {
  if (source.kind !== "bundled") return { executablePath: source.path };
  // The package is an ES module, which Jest's CommonJS runtime cannot load: a plain node child
  // unpacks the browser and says where it is and which library paths it set up.
  const script = `import("@sparticuz/chromium").then(async ({ default: c }) => {
    const path = await c.executablePath();
    const env = {};
    for (const key of ["LD_LIBRARY_PATH", "FONTCONFIG_PATH", "HOME"]) if (process.env[key]) env[key] = process.env[key];
    process.stdout.write(JSON.stringify({ path, env }));
  })`;
  const out = execFileSync(process.execPath, ["-e", script], { cwd: path.resolve(__dirname, "../.."), encoding: "utf8", timeout: 60_000 });
  const { path: executablePath, env } = JSON.parse(out) as { path: string; env: Record<string, string> };
  return { executablePath, env: { ...(process.env as Record<string, string>), ...env } };
}

/**
 * `describe` for browser tests: runs them when a browser can be found; otherwise skips them with
 * the reason printed, except under `CI=true`, where a missing browser fails the run.
 */
export function describeWithBrowser(name: string, fn: (source: Exclude<BrowserSource, { kind: "none" }>) => void): void {
  const source = browserSource();
  if (source.kind === "none") {
    if (process.env.CI === "true") throw new Error(`CI=true but no browser can run the page tests: ${source.reason}.`);
    console.warn(`skipped "${name}": ${source.reason}.`);
    describe.skip(name, () => fn({ kind: "bundled" }));
    return;
  }
  describe(name, () => fn(source));
}
