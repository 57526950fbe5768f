import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/**
 * `webhook_events.data` holds `changed_attributes` and `event_info` exactly as they will be sent.
 * `jsonb` reorders object keys (`current_value` before `previous_value`), `json` keeps the text as
 * written, so the delivered bodies keep Chatwoot's key order. Rows already stored keep the order
 * `jsonb` gave them.
 */
export class EventDataAsJson1796000000000 implements MigrationInterface {
  name = "EventDataAsJson1796000000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`ALTER TABLE "webhook_events" ALTER COLUMN "data" TYPE json USING "data"::json`);
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`ALTER TABLE "webhook_events" ALTER COLUMN "data" TYPE jsonb USING "data"::jsonb`);
    });
  }
}
