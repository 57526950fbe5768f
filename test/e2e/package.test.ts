/**
 * The consumer's view of the package: `npm pack` (which first builds the library alone into an
 * emptied dist/src), the tarball installed into a fresh folder next to express, typeorm and pg,
 * `examples/minimal.ts` compiled there under `strict` with `skipLibCheck: false` against the
 * installed declarations, then run as a process: a webhook created through Chatwoot's API
 * receives the signed `message_created` of a saved message, the settings page is served from the
 * installed files, and SIGTERM ends the process cleanly.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { startReceiver, type Receiver } from "../helpers/receiver";

const ROOT = path.resolve(__dirname, "../..");
const TOKEN = "package-test-admin-token";

/** The repository's installed version of a package, so the consumer's install is served from npm's cache. */
const versionOf = (name: string) => (JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;

jest.setTimeout(240_000);

describe("the packed library, installed by a consumer", () => {
  let work: string;
  let consumer: string;
  let tarball: string;
  let database: string;
  let receiver: Receiver;
  let app: ChildProcess | null = null;
  const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "chatwoot-webhooks-pack-"));
    consumer = path.join(work, "consumer");
    receiver = await startReceiver();
    database = `wh_package_${process.pid}_${Date.now()}`;
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}"`);
    await admin.end();
  });

  afterAll(async () => {
    app?.kill("SIGKILL");
    await receiver?.close();
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("packs the compiled code, declarations and the settings page, and nothing of tests or bench", () => {
    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const [packed] = JSON.parse(out.slice(out.indexOf("["))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(work, packed.filename);
    const files = packed.files.map((file) => file.path);
    expect(files).toEqual(expect.arrayContaining(["package.json", "dist/src/index.js", "dist/src/index.d.ts", "dist/src/create-webhooks.js", "src/routes/static/settings.html"]));
    expect(files.filter((file) => /^(test|bench|examples|dist\/(test|bench|examples))\//.test(file) || file.endsWith(".map") || /^src\/.*\.ts$/.test(file))).toEqual([]);
    // prepack empties dist/src first: nothing compiled from a source that no longer exists ships.
    const stale = files.filter((file) => /^dist\/src\/.*\.js$/.test(file) && !existsSync(path.join(ROOT, file.replace(/^dist\//, "").replace(/\.js$/, ".ts"))));
    expect(stale).toEqual([]);
  });

  it("installs into a fresh app that type-checks under strict, skipLibCheck off", () => {
    writeFileSync(
      path.join(work, "package.json"),
      "{}", // keeps npm from walking up into the repository
    );
    execFileSync("mkdir", ["-p", consumer]);
    writeFileSync(
      path.join(consumer, "package.json"),
      JSON.stringify(
        {
          name: "consumer",
          private: true,
          dependencies: {
            "chatwoot-webhooks": `file:${tarball}`,
            express: versionOf("express"),
            typeorm: versionOf("typeorm"),
            pg: versionOf("pg"),
            "reflect-metadata": versionOf("reflect-metadata"),
          },
          devDependencies: { typescript: versionOf("typescript"), "@types/express": versionOf("@types/express"), "@types/node": versionOf("@types/node") },
        },
        null,
        2,
      ),
    );
    execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: consumer, stdio: ["ignore", "inherit", "inherit"], timeout: 180_000 });
    expect(readdirSync(path.join(consumer, "node_modules", "chatwoot-webhooks", "dist", "src"))).toContain("index.d.ts");
    // pg, reflect-metadata, typeorm and express are peers: the host's one copy, none nested in the library.
    const nested = path.join(consumer, "node_modules", "chatwoot-webhooks", "node_modules");
    for (const peer of ["pg", "reflect-metadata", "typeorm", "express"]) expect(existsSync(path.join(nested, peer))).toBe(false);

    const source = readFileSync(path.join(ROOT, "examples", "minimal.ts"), "utf8").replace(/from "\.\.\/src"/g, 'from "chatwoot-webhooks"');
    expect(source).toContain('from "chatwoot-webhooks"');
    writeFileSync(path.join(consumer, "app.ts"), source);
    writeFileSync(
      path.join(consumer, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node", strict: true, skipLibCheck: false, esModuleInterop: true, outDir: "out", types: ["node"] }, files: ["app.ts"] }),
    );
    execFileSync(path.join(consumer, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], { cwd: consumer, stdio: ["ignore", "inherit", "inherit"] });
  });

  it("delivers a saved message's signed webhook, and stops on SIGTERM", async () => {
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    app = spawn(process.execPath, [path.join(consumer, "out", "app.js")], {
      cwd: consumer,
      env: { ...process.env, DATABASE_URL: url.toString(), ADMIN_TOKEN: TOKEN, PORT: "0", SAFE_FETCH_ALLOW_PRIVATE_NETWORK: "true" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const origin = await new Promise<string>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`the app did not start: ${output}`)), 30_000);
      app!.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+) \(account (\d+)\)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      app!.once("exit", (code) => reject(new Error(`the app exited with ${code}: ${output}`)));
    });
    const accountId = 1;
    const created = await fetch(`${origin}/api/v1/accounts/${accountId}/webhooks`, {
      method: "POST",
      headers: { api_access_token: TOKEN, "content-type": "application/json" },
      body: JSON.stringify({ webhook: { url: `${receiver.url}/consumer`, subscriptions: ["message_created"] } }),
    });
    expect(created.status).toBe(200);
    const { payload } = (await created.json()) as { payload: { webhook: { secret: string } } };
    const refused = await fetch(`${origin}/api/v1/accounts/${accountId}/webhooks`, { headers: { api_access_token: "wrong" } });
    expect(refused.status).toBe(401);
    // The settings page and its assets come from the installed package's src/routes/static.
    const page = await fetch(`${origin}/app/accounts/${accountId}/settings/integrations/webhook`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const script = /<script[^>]* src="([^"]+)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/app\/settings-assets\/[a-z0-9-]+\.js$/);
    const asset = await fetch(`${origin}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/javascript/);

    const saved = await fetch(`${origin}/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ content: "Hello from a consumer" }) });
    const { id } = (await saved.json()) as { id: number };
    const [request] = await receiver.waitFor(1, 15_000);
    const body = JSON.parse(request.body);
    expect(body).toMatchObject({ event: "message_created", id, content: "Hello from a consumer" });
    const signed = `sha256=${createHmac("sha256", payload.webhook.secret).update(`${request.headers["x-chatwoot-timestamp"]}.${request.body}`).digest("hex")}`;
    expect(request.headers["x-chatwoot-signature"]).toBe(signed);

    const exited = new Promise<number | null>((resolve) => app!.once("exit", (code) => resolve(code)));
    app.kill("SIGTERM");
    const started = Date.now();
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(12_000);
    app = null;
  });
});
