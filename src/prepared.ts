import type { QueryRunner } from "typeorm";

/** What a `pg` client looks like to us: it takes a named statement (parsed once per connection). */
interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<unknown>;
  connection: { parsedStatements: object };
}

/**
 * A statement as a named prepared statement on the query runner's own `pg` connection:
 * PostgreSQL parses and plans it once per connection instead of on every run (the host's write
 * path, the dispatcher's hot statements in its transactions). Any other driver (PGlite) gets the
 * plain query. Resolves to the rows.
 */
export async function queryPrepared<T = unknown>(queryRunner: QueryRunner, name: string, text: string, values: unknown[]): Promise<T[]> {
  const client = (queryRunner as { databaseConnection?: unknown }).databaseConnection as Partial<PgClient> | undefined;
  if (client && typeof client.query === "function" && typeof client.connection?.parsedStatements === "object") {
    return ((await client.query({ name, text, values })) as { rows: T[] }).rows;
  }
  return (await queryRunner.query(text, values)) as T[];
}

/** {@link queryPrepared} for a statement whose rows are not wanted. */
export async function runPrepared(queryRunner: QueryRunner, name: string, text: string, values: unknown[]): Promise<void> {
  await queryPrepared(queryRunner, name, text, values);
}
