import type { QueryRunner } from "typeorm";

/** What a `pg` client looks like to us: it takes a named statement (parsed once per connection). */
interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<unknown>;
  connection: { parsedStatements: object };
}

/**
 * A statement of the host's write path, as a named prepared statement on the saving
 * transaction's own `pg` connection: PostgreSQL parses and plans it once per connection instead
 * of on every save. Any other driver (PGlite) gets the plain query.
 */
export async function runPrepared(queryRunner: QueryRunner, name: string, text: string, values: unknown[]): Promise<void> {
  const client = (queryRunner as { databaseConnection?: unknown }).databaseConnection as Partial<PgClient> | undefined;
  if (client && typeof client.query === "function" && typeof client.connection?.parsedStatements === "object") {
    await client.query({ name, text, values });
    return;
  }
  await queryRunner.query(text, values);
}
