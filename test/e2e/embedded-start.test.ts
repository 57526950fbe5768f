import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { NOT_ADMINISTRATOR, NOT_IN_ACCOUNT } from "../helpers/api";

const ROOT = resolve(__dirname, "../..");
const ADMIN = "embedded-admin-token";

interface RunningDemo {
  child: ChildProcess;
  /** e.g. http://127.0.0.1:41234, from the `listening on` line. */
  origin: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/**
 * Start the demo as `npm start` runs it after the build (`node dist/examples/main.js`), but from
 * the TypeScript sources: no DATABASE_URL, so it opens an embedded PGlite in `dataDir`.
 */
async function startDemo(dataDir: string, tokens: Record<string, string> = {}): Promise<RunningDemo> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: "0", HOST: "127.0.0.1", ...tokens };
  for (const key of ["DATABASE_URL", "NODE_OPTIONS", "DEMO_ADMIN_TOKEN", "DEMO_AGENT_TOKEN", "DEMO_OTHER_TOKEN"]) {
    if (!(key in tokens)) delete env[key];
  }
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "examples/main.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      done({ code, signal });
    });
  });
  const origin = await new Promise<string>((resolveOrigin, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line within 60 s:\n${output}`)), 60000);
    const read = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveOrigin(match[1]);
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with code ${code} before listening:\n${output}`));
    });
  });
  return { child, origin, output: () => output, exited };
}

/** SIGTERM, then the exit code and how long it took. */
async function stopDemo(demo: RunningDemo): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  demo.child.kill("SIGTERM");
  const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running 15 s after SIGTERM:\n${demo.output()}`)), 15000).unref());
  const { code } = await Promise.race([demo.exited, deadline]);
  return { code, ms: Date.now() - started };
}

/** The `DEMO_*_TOKEN=value ... (note)` lines the demo prints at start for tokens it did not get from the environment. */
function printedTokens(output: string): Record<string, { token: string; note: string }> {
  const tokens: Record<string, { token: string; note: string }> = {};
  for (const match of output.matchAll(/(DEMO_[A-Z]+_TOKEN)=(\S+) .*\((generated now and stored|stored by an earlier start)\)$/gm)) {
    tokens[match[1]] = { token: match[2], note: match[3] };
  }
  return tokens;
}

const listWebhooks = (origin: string, token: string) => fetch(`${origin}/api/v1/accounts/1/webhooks`, { headers: { api_access_token: token } });

describe("npm start on the embedded database", () => {
  let dataDir: string;
  /** Tokens the first start generated and printed. */
  let generated: Record<string, { token: string; note: string }> = {};

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "chatwoot-webhooks-demo-"));
  });

  afterAll(async () => {
    for (const child of running) child.kill("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });

  it("starts on a fresh DATA_DIR, serves the API with DEMO_ADMIN_TOKEN, prints generated tokens, and stops cleanly on SIGTERM", async () => {
    const demo = await startDemo(dataDir, { DEMO_ADMIN_TOKEN: ADMIN });
    expect(demo.origin).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(demo.output()).toContain(`${demo.origin}/app/accounts/1/settings/integrations/webhook`);
    expect(demo.output()).toMatch(/private and loopback/);

    const res = await listWebhooks(demo.origin, ADMIN);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ payload: { webhooks: [] } });

    generated = printedTokens(demo.output());
    expect(Object.keys(generated).sort()).toEqual(["DEMO_AGENT_TOKEN", "DEMO_OTHER_TOKEN"]);
    for (const { token, note } of Object.values(generated)) {
      expect(note).toBe("generated now and stored");
      expect(token).toMatch(/^[A-Za-z0-9_-]{24}$/);
    }
    expect(demo.output()).toMatch(/DEMO_ADMIN_TOKEN from the environment/);
    expect(demo.output()).not.toContain(ADMIN);

    const { code, ms } = await stopDemo(demo);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(15000);
  }, 120000);

  it("restarts on the same DATA_DIR without DEMO_* tokens and reuses the stored ones", async () => {
    const demo = await startDemo(dataDir);
    const tokens = printedTokens(demo.output());
    expect(Object.keys(tokens).sort()).toEqual(["DEMO_ADMIN_TOKEN", "DEMO_AGENT_TOKEN", "DEMO_OTHER_TOKEN"]);
    for (const { note } of Object.values(tokens)) expect(note).toBe("stored by an earlier start");
    expect(tokens.DEMO_ADMIN_TOKEN.token).toBe(ADMIN);
    expect(tokens.DEMO_AGENT_TOKEN.token).toBe(generated.DEMO_AGENT_TOKEN.token);
    expect(tokens.DEMO_OTHER_TOKEN.token).toBe(generated.DEMO_OTHER_TOKEN.token);

    const admin = await listWebhooks(demo.origin, tokens.DEMO_ADMIN_TOKEN.token);
    expect(admin.status).toBe(200);
    // The printed agent token is a real, stored token: it authenticates, but agents may not manage webhooks.
    const agent = await listWebhooks(demo.origin, tokens.DEMO_AGENT_TOKEN.token);
    expect([agent.status, await agent.json()]).toEqual([401, NOT_ADMINISTRATOR]);
    const other = await listWebhooks(demo.origin, tokens.DEMO_OTHER_TOKEN.token);
    expect([other.status, await other.json()]).toEqual([401, NOT_IN_ACCOUNT]);

    const { code } = await stopDemo(demo);
    expect(code).toBe(0);
  }, 120000);
});
