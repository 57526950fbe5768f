import type { DataSource } from "typeorm";
import { librarySchemaOf, quoteIdentifier } from "./tables";

/** What each of the library's migrations leaves behind, newest last: a table, or `table.column`. */
const EXPECTED = ["webhooks", "webhook_events", "webhook_deliveries", "webhook_attempts", "webhook_deliveries.parked", "channel_api", "agent_bot_inboxes", "attachments.content_type", "webhook_attempts.final_url", "teams", "conversations.assignee_agent_bot_id", "agent_bots.secret_rotated_by_id", "webhook_recoveries", "webhooks.ordered", "webhook_deliveries.ordering_key"];

/** The message for a database that lacks the library's tables (or their latest changes). */
export const MIGRATIONS_MISSING =
  "the library's tables are missing or out of date: run its migrations (spread MIGRATIONS from this package into your DataSource's " +
  '"migrations" and await dataSource.runMigrations(), or run your migration CLI with that DataSource)';

/**
 * What the database lacks of the library's schema, by looking at the tables themselves (so it
 * does not matter how the migrations were run); empty when everything is there.
 */
export async function missingSchema(dataSource: DataSource): Promise<string[]> {
  const schema = librarySchemaOf(dataSource);
  const qualify = (table: string) => (schema === null ? table : `${quoteIdentifier(schema)}.${table}`);
  const tables = EXPECTED.filter((item) => !item.includes(".")).map(qualify);
  const columns = EXPECTED.filter((item) => item.includes(".")).map((item) => item.split(".") as [string, string]).map(([table, column]) => [qualify(table), column]);
  const [row] = (await dataSource.query(
    `SELECT array(SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL) AS tables,
            array(SELECT c.t || '.' || c.col FROM unnest($2::text[], $3::text[]) AS c(t, col)
                  WHERE to_regclass(c.t) IS NULL OR NOT EXISTS (
                    SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(c.t) AND attname = c.col AND NOT attisdropped)) AS columns`,
    [tables, columns.map(([table]) => table), columns.map(([, column]) => column)],
  )) as Array<{ tables: string[]; columns: string[] }>;
  return [...row.tables, ...row.columns];
}

/** Throws a `TypeError` saying what to do when the library's schema is not there. */
export async function assertMigrated(dataSource: DataSource, who: string): Promise<void> {
  const missing = await missingSchema(dataSource);
  if (missing.length > 0) throw new TypeError(`${who}: ${MIGRATIONS_MISSING}. Missing: ${missing.join(", ")}.`);
}
