import type { DataSource } from "typeorm";
import { librarySchemaOf, quoteIdentifier } from "./tables";

/**
 * What each of the library's migrations leaves behind, newest last: a table, `table.column`, or
 * `table:trigger` (a database that missed the message triggers' migration would record no message
 * events and say nothing).
 */
const EXPECTED = ["webhooks", "webhook_events", "webhook_deliveries", "webhook_attempts", "webhook_deliveries.parked", "channel_api", "agent_bot_inboxes", "attachments.content_type", "webhook_attempts.final_url", "teams", "conversations.assignee_agent_bot_id", "agent_bots.secret_rotated_by_id", "webhook_recoveries", "webhooks.ordered", "webhook_deliveries.ordering_key", "messages:webhooks_message_created", "messages:webhooks_message_updated"];

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
  const pairs = (separator: string) => EXPECTED.filter((item) => item.includes(separator)).map((item) => item.split(separator) as [string, string]).map(([table, name]) => [qualify(table), name]);
  const tables = EXPECTED.filter((item) => !item.includes(".") && !item.includes(":")).map(qualify);
  const columns = pairs(".");
  const triggers = pairs(":");
  const [row] = (await dataSource.query(
    `SELECT array(SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL) AS tables,
            array(SELECT c.t || '.' || c.col FROM unnest($2::text[], $3::text[]) AS c(t, col)
                  WHERE to_regclass(c.t) IS NULL OR NOT EXISTS (
                    SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(c.t) AND attname = c.col AND NOT attisdropped)) AS columns,
            array(SELECT g.t || ' trigger ' || g.name FROM unnest($4::text[], $5::text[]) AS g(t, name)
                  WHERE to_regclass(g.t) IS NULL OR NOT EXISTS (
                    SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(g.t) AND tgname = g.name)) AS triggers`,
    [tables, columns.map(([table]) => table), columns.map(([, column]) => column), triggers.map(([table]) => table), triggers.map(([, name]) => name)],
  )) as Array<{ tables: string[]; columns: string[]; triggers: string[] }>;
  return [...row.tables, ...row.columns, ...row.triggers];
}

/** Throws a `TypeError` saying what to do when the library's schema is not there. */
export async function assertMigrated(dataSource: DataSource, who: string): Promise<void> {
  const missing = await missingSchema(dataSource);
  if (missing.length > 0) throw new TypeError(`${who}: ${MIGRATIONS_MISSING}. Missing: ${missing.join(", ")}.`);
}
