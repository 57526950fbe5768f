import "reflect-metadata";
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { DataSource, type DataSourceOptions } from "typeorm";
import { ENTITIES } from "../../src/entities";
import { MIGRATIONS } from "../../src/migrations";
import { pgliteDriver } from "../../src/embedded/pglite-driver";

/** True when the suite runs on embedded PGlite (no PostgreSQL reachable, not CI). */
export const embedded = process.env.TEST_DB_MODE === "embedded";

/**
 * `describe` for tests that need a real PostgreSQL server (several sessions, row locks,
 * LISTEN/NOTIFY, pg_terminate_backend). On embedded PGlite they skip and say why; under CI=true
 * they never skip.
 */
export function describeWithPostgres(name: string, fn: () => void): void {
  if (embedded && process.env.CI !== "true") {
    // eslint-disable-next-line no-console
    console.warn(`skipped "${name}": needs a real PostgreSQL server (several sessions and row locks); set DATABASE_URL.`);
    describe.skip(name, fn);
    return;
  }
  describe(name, fn);
}

export interface TestDatabase {
  url: string;
  name: string;
  dataSource: DataSource;
  /** Another DataSource on the same database (a second "process"). */
  open(extra?: Partial<DataSourceOptions>): Promise<DataSource>;
  drop(): Promise<void>;
}

function adminUrl(): string {
  return process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A fresh database for one test file, migrated with the real migrations (never `synchronize`).
 * On PostgreSQL it is `CREATE DATABASE`d and dropped afterwards, so files run in parallel.
 */
export async function createTestDatabase(label: string, extra: Partial<DataSourceOptions> = {}): Promise<TestDatabase> {
  const name = `wh_${label.replace(/[^a-z0-9]/gi, "_").toLowerCase().slice(0, 30)}_${randomBytes(4).toString("hex")}`;
  if (embedded) {
    const { PGlite } = await import("@electric-sql/pglite");
    const db = await PGlite.create();
    const make = async (more: Partial<DataSourceOptions> = {}) =>
      new DataSource({ type: "postgres", driver: pgliteDriver(db), entities: ENTITIES, migrations: MIGRATIONS, ...extra, ...more } as DataSourceOptions).initialize();
    const dataSource = await make();
    await dataSource.runMigrations();
    return {
      url: "",
      name,
      dataSource,
      open: make,
      async drop() {
        if (dataSource.isInitialized) await dataSource.destroy();
        await db.close();
      },
    };
  }
  const admin = new Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = withDatabase(adminUrl(), name);
  const opened: DataSource[] = [];
  const make = async (more: Partial<DataSourceOptions> = {}) => {
    const ds = await new DataSource({ type: "postgres", url, entities: ENTITIES, migrations: MIGRATIONS, poolSize: 10, ...extra, ...more } as DataSourceOptions).initialize();
    opened.push(ds);
    return ds;
  };
  const dataSource = await make();
  await dataSource.runMigrations();
  return {
    url,
    name,
    dataSource,
    open: make,
    async drop() {
      for (const ds of opened) if (ds.isInitialized) await ds.destroy();
      const client = new Client({ connectionString: adminUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}
