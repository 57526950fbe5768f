import type { QueryRunner } from "typeorm";
import { sideEffects } from "../delivery/sql/side-effects";
import { statement, tablesOf, type Tables } from "../tables";
import { runPrepared } from "../prepared";

const NAME = "chatwoot_webhooks_message_side_effects";

const CALL = (t: Tables): string => `SELECT ${sideEffects(t)}($1)`;

/**
 * Chatwoot's side effects of a new message on its conversation and contact, applied on the
 * saving transaction's connection: only for activity messages, which record no event (the
 * dispatcher applies everyone else's after the commit, src/delivery/sql/side-effects.ts). The
 * rules live in the `webhooks_message_side_effects` function (its migration says which).
 */
export async function applyMessageSideEffects(queryRunner: QueryRunner, messageId: number): Promise<void> {
  await runPrepared(queryRunner, NAME, statement(tablesOf(queryRunner.connection), CALL), [messageId]);
}
