import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/**
 * The triggers that record `message_created` and `message_updated`. The benchmark disables them
 * for its conditions without the library (`ALTER TABLE messages DISABLE TRIGGER …`).
 */
export const MESSAGE_CAPTURE_TRIGGERS = ["webhooks_message_created", "webhooks_message_updated"] as const;

/**
 * Message events are written into the outbox by the database, inside the INSERT or UPDATE
 * statement itself, instead of by the outbox subscriber as a second statement of the saving
 * transaction: the host's save pays no extra round trip, and messages written with QueryBuilder,
 * raw SQL or another service are recorded too. The subscriber still wakes the dispatcher at the
 * commit of what it saw; the poll finds the rest.
 *
 * The rows are the subscriber's: activity messages record nothing, and an update records
 * `message_updated` only when a column other than the timestamps TypeORM maintains changed
 * (`created_at`, `updated_at`), so touching `updated_at` alone sends nothing. The conditions are
 * the triggers' WHEN clauses, so a write that records nothing does not call the function at all.
 */
export class CaptureMessagesByTrigger1796800000000 implements MigrationInterface {
  name = "CaptureMessagesByTrigger1796800000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      // The event's name is the trigger's argument; the search path is pinned as for every trigger
      // function of the library (see 1796100000000), so a host's own `webhook_events` is never written.
      await queryRunner.query(`
        CREATE FUNCTION "webhooks_record_message_event"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
        BEGIN
          INSERT INTO "webhook_events" ("account_id", "inbox_id", "event", "subject_type", "subject_id", "data")
          VALUES (NEW."account_id", NEW."inbox_id", TG_ARGV[0], 'Message', NEW."id", NULL);
          RETURN NULL;
        END $$`);
      await queryRunner.query(`
        CREATE TRIGGER "webhooks_message_created" AFTER INSERT ON "messages"
        FOR EACH ROW WHEN (NEW."message_type" <> 'activity')
        EXECUTE FUNCTION "webhooks_record_message_event"('message_created')`);
      await queryRunner.query(`
        CREATE TRIGGER "webhooks_message_updated" AFTER UPDATE ON "messages"
        FOR EACH ROW WHEN (NEW."message_type" <> 'activity'
          AND to_jsonb(OLD) - 'created_at' - 'updated_at' IS DISTINCT FROM to_jsonb(NEW) - 'created_at' - 'updated_at')
        EXECUTE FUNCTION "webhooks_record_message_event"('message_updated')`);
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      for (const trigger of MESSAGE_CAPTURE_TRIGGERS) await queryRunner.query(`DROP TRIGGER "${trigger}" ON "messages"`);
      await queryRunner.query(`DROP FUNCTION "webhooks_record_message_event"()`);
    });
  }
}
