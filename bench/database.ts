import "reflect-metadata";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { DataSource } from "typeorm";
import { ENTITIES, MIGRATIONS } from "../src";
import { MESSAGE_CAPTURE_TRIGGERS } from "../src/migrations/1796800000000-capture-messages-by-trigger";
import { tablesOf } from "../src/tables";

/** A fresh, migrated database for one scenario, dropped at the end. */
export interface BenchDatabase {
  name: string;
  url: string;
  dataSource: DataSource;
  drop(): Promise<void>;
}

/** The server to use: `DATABASE_URL`, default the local test server. */
export function serverUrl(): string {
  return process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A DataSource as the host app opens one (the demo's pool size), with the library's entities. */
export function openDataSource(url: string): Promise<DataSource> {
  return new DataSource({ type: "postgres", url, entities: [...ENTITIES], migrations: [...MIGRATIONS], poolSize: 10 }).initialize();
}

/** Databases created by this process and not dropped yet (dropped by {@link dropLeftovers} after a crash). */
const live = new Set<string>();

/**
 * `CREATE DATABASE bench_<scenario>_<random>` and run the library's migrations on it. The peer's
 * databases pass `messageCapture: false`: the peer does not pay for the library's triggers.
 */
export async function createBenchDatabase(scenario: string, { messageCapture = true } = {}): Promise<BenchDatabase> {
  const name = `bench_${scenario.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE "${name}"`);
  live.add(name);
  const url = withDatabase(serverUrl(), name);
  let dataSource: DataSource;
  try {
    dataSource = await openDataSource(url);
    await dataSource.runMigrations();
    if (!messageCapture) await setMessageCapture(dataSource, false);
  } catch (error) {
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    live.delete(name);
    throw error;
  }
  return {
    name,
    url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      live.delete(name);
    },
  };
}

/**
 * Switch the library's triggers that record message events on or off (`ALTER TABLE … TRIGGER`,
 * which waits for a lock on `messages`: call it between conditions, untimed, with no dispatcher
 * running). Conditions without the library turn them off, so they pay nothing for them.
 */
export async function setMessageCapture(dataSource: DataSource, enabled: boolean): Promise<void> {
  const messages = tablesOf(dataSource).messages;
  const action = enabled ? "ENABLE" : "DISABLE";
  await dataSource.query(`ALTER TABLE ${messages} ${MESSAGE_CAPTURE_TRIGGERS.map((trigger) => `${action} TRIGGER "${trigger}"`).join(", ")}`);
}

/**
 * Drop what this run left behind, from a separate short-lived process (at most 15 s): used on the
 * way out after a crash, when this process's own connections and event loop cannot be trusted.
 */
export function dropLeftoversSync(): void {
  const names = [...live];
  if (names.length === 0) return;
  const script = `
    const { Client } = require("pg");
    (async () => {
      const client = new Client({ connectionString: process.env.BENCH_ADMIN_URL, connectionTimeoutMillis: 5000 });
      await client.connect();
      for (const name of JSON.parse(process.env.BENCH_DROP)) await client.query('DROP DATABASE IF EXISTS "' + name + '" WITH (FORCE)').catch(() => undefined);
      await client.end();
    })().catch(() => process.exit(1));`;
  spawnSync(process.execPath, ["-e", script], {
    cwd: __dirname,
    env: { ...process.env, BENCH_ADMIN_URL: serverUrl(), BENCH_DROP: JSON.stringify(names) },
    timeout: 15_000,
    stdio: "ignore",
  });
  live.clear();
}

/** One statement on the server's maintenance connection. */
export async function admin<T = unknown>(sql: string): Promise<T[]> {
  const client = new Client({ connectionString: serverUrl(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}
