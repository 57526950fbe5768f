import "reflect-metadata";
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { DataSource } from "typeorm";
import { ENTITIES, MIGRATIONS, pgliteDriver } from "../src";

/** An open, migrated database and how to close it. */
export interface DemoDatabase {
  dataSource: DataSource;
  /** `postgres` (DATABASE_URL) or `embedded` (PGlite in a local folder). */
  kind: "postgres" | "embedded";
  /** Where the data lives, for the start-up log (the URL without its password, or the folder). */
  location: string;
  close(): Promise<void>;
}

/**
 * Open the demo's database and run the library's migrations on it: PostgreSQL when
 * `databaseUrl` is given, otherwise an embedded PGlite whose files live in `dataDir`.
 */
export async function openDatabase(settings: { databaseUrl: string | null; dataDir: string }): Promise<DemoDatabase> {
  const common = { type: "postgres" as const, entities: [...ENTITIES], migrations: [...MIGRATIONS], migrationsTransactionMode: "each" as const };

  if (settings.databaseUrl) {
    const dataSource = await new DataSource({ ...common, url: settings.databaseUrl, poolSize: 10 }).initialize();
    await dataSource.runMigrations();
    return {
      dataSource,
      kind: "postgres",
      location: redact(settings.databaseUrl),
      close: async () => {
        if (dataSource.isInitialized) await dataSource.destroy();
      },
    };
  }

  const dir = resolve(settings.dataDir);
  await mkdir(dir, { recursive: true });
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create(dir);
  try {
    const dataSource = await new DataSource({ ...common, driver: pgliteDriver(db) }).initialize();
    await dataSource.runMigrations();
    return {
      dataSource,
      kind: "embedded",
      location: dir,
      close: async () => {
        if (dataSource.isInitialized) await dataSource.destroy();
        if (!db.closed) await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}
