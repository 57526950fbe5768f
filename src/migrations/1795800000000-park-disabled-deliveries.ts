import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/**
 * Pending deliveries of a disabled webhook wait `parked`, outside the index claims read, so a
 * long backlog behind a disabled webhook costs claims nothing (before, every claim read past all
 * of its due rows). A trigger on `webhooks.enabled` parks and unparks them, whoever switches the
 * webhook (the API, auto-disable, the host's own SQL); the schedule is kept, so re-enabling
 * resumes them where they were.
 */
export class ParkDisabledDeliveries1795800000000 implements MigrationInterface {
  name = "ParkDisabledDeliveries1795800000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`ALTER TABLE "webhook_deliveries" ADD "parked" boolean NOT NULL DEFAULT false`);
      await queryRunner.query(`UPDATE "webhook_deliveries" d SET "parked" = true FROM "webhooks" w WHERE w."id" = d."webhook_id" AND NOT w."enabled" AND d."status" = 'pending'`);
      await queryRunner.query(`DROP INDEX "index_webhook_deliveries_due"`);
      await queryRunner.query(`CREATE INDEX "index_webhook_deliveries_due" ON "webhook_deliveries" ("next_attempt_at") WHERE status = 'pending' AND NOT parked`);
      await queryRunner.query(`
        CREATE FUNCTION "webhooks_park_deliveries"() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          UPDATE "webhook_deliveries" SET "parked" = NOT NEW."enabled"
          WHERE "webhook_id" = NEW."id" AND "status" = 'pending' AND "parked" = NEW."enabled";
          RETURN NULL;
        END $$`);
      await queryRunner.query(`
        CREATE TRIGGER "webhooks_park_deliveries" AFTER UPDATE OF "enabled" ON "webhooks"
        FOR EACH ROW WHEN (OLD."enabled" IS DISTINCT FROM NEW."enabled") EXECUTE FUNCTION "webhooks_park_deliveries"()`);
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`DROP TRIGGER "webhooks_park_deliveries" ON "webhooks"`);
      await queryRunner.query(`DROP FUNCTION "webhooks_park_deliveries"()`);
      await queryRunner.query(`DROP INDEX "index_webhook_deliveries_due"`);
      await queryRunner.query(`CREATE INDEX "index_webhook_deliveries_due" ON "webhook_deliveries" ("next_attempt_at") WHERE status = 'pending'`);
      await queryRunner.query(`ALTER TABLE "webhook_deliveries" DROP COLUMN "parked"`);
    });
  }
}
