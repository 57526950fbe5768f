import "reflect-metadata";
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { DataSource } from "typeorm";
import { ENTITIES, MIGRATIONS } from "../src";

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

/** `CREATE DATABASE bench_<scenario>_<random>` and run the library's migrations on it. */
export async function createBenchDatabase(scenario: string): Promise<BenchDatabase> {
  const name = `bench_${scenario.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${randomBytes(4).toString("hex")}`;
  await admin(`CREATE DATABASE "${name}"`);
  const url = withDatabase(serverUrl(), name);
  let dataSource: DataSource;
  try {
    dataSource = await openDataSource(url);
    await dataSource.runMigrations();
  } catch (error) {
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
    throw error;
  }
  return {
    name,
    url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
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
