import { Client } from "pg";

/**
 * Decides once where the suite's databases live. With PostgreSQL reachable at DATABASE_URL every
 * test runs there. Without it (a laptop with nothing installed) tests fall back to embedded PGlite,
 * and tests that need real row locking or several connections skip with a printed reason; under
 * CI=true a missing PostgreSQL is an error instead.
 */
export default async function globalSetup(): Promise<void> {
  const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  process.env.DATABASE_URL = url;
  if (process.env.TEST_DB_MODE === "embedded") return; // forced, to try the fallback on a machine with PostgreSQL
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    process.env.TEST_DB_MODE = "postgres";
  } catch (error) {
    if (process.env.CI === "true") {
      throw new Error(`CI=true but PostgreSQL at ${url} is not reachable (${(error as Error).message}); start it first.`);
    }
    process.env.TEST_DB_MODE = "embedded";
    console.warn(`\nPostgreSQL at ${url} is not reachable: running on embedded PGlite; tests that need real PostgreSQL will skip.\n`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
