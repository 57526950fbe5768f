import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/**
 * A partial index on incoming messages, for the unread count every conversation payload carries
 * (incoming messages after `agent_last_seen_at`, at most 10). Without it the count visits every
 * message of the conversation when few are incoming: about 3 ms per event on a conversation of
 * 20,000 outgoing messages, against 0.1 ms with it. Only incoming messages pay for its upkeep.
 *
 * A plain CREATE INDEX blocks writes to `messages` while it builds (migrations run in a
 * transaction, where CONCURRENTLY is not allowed). On a large table, build it beforehand with
 * `CREATE INDEX CONCURRENTLY` and the same name and definition; this migration then skips it.
 */
export class IncomingMessagesIndex1795700000000 implements MigrationInterface {
  name = "IncomingMessagesIndex1795700000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`CREATE INDEX IF NOT EXISTS "index_messages_incoming_on_conversation_id_and_created_at" ON "messages" ("conversation_id", "created_at") WHERE message_type = 'incoming'`);
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`DROP INDEX IF EXISTS "index_messages_incoming_on_conversation_id_and_created_at"`);
    });
  }
}
