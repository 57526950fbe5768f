import type { QueryRunner } from "typeorm";
import { quoteIdentifier, statement, tablesOf, type Tables } from "../tables";

const NAME = "chatwoot_webhooks_message_side_effects";

/** The call, with the function in the library's schema (the host's search path may not include it). */
const CALL = (t: Tables): string => `SELECT ${t.schema === null ? "" : `${quoteIdentifier(t.schema)}.`}"webhooks_message_side_effects"($1)`;

/**
 * Chatwoot's side effects of a new message on its conversation and contact (`last_activity_at`,
 * `waiting_since`, `first_reply_created_at`, reopening, the contact's `last_activity_at`) and the
 * events they record: one statement on the saving transaction's connection, after the message's
 * own event. The rules live in the `webhooks_message_side_effects` function (its migration says
 * which), so the host pays one round trip, prepared once per connection like the outbox insert.
 */
export async function applyMessageSideEffects(queryRunner: QueryRunner, messageId: number): Promise<void> {
  const text = statement(tablesOf(queryRunner.connection), CALL);
  const client = (queryRunner as { databaseConnection?: unknown }).databaseConnection as
    | { query?: (config: { name: string; text: string; values: unknown[] }) => Promise<unknown>; connection?: { parsedStatements?: object } }
    | undefined;
  if (client && typeof client.query === "function" && typeof client.connection?.parsedStatements === "object") {
    await client.query({ name: NAME, text, values: [messageId] });
    return;
  }
  await queryRunner.query(text, [messageId]);
}
