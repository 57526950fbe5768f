import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/**
 * Ordered delivery per conversation, opt-in per webhook (`webhooks.ordered`). A delivery to an
 * ordered webhook carries the key it is ordered by (`conversation:<id>`, `contact:<id>`); the
 * partial index answers "is an earlier delivery of this key still pending?" for claims, fan-out
 * and the delivery log, and costs nothing for unordered webhooks (their key is null).
 */
export class OrderedDelivery1796700000000 implements MigrationInterface {
  name = "OrderedDelivery1796700000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`ALTER TABLE "webhooks" ADD "ordered" boolean NOT NULL DEFAULT false`);
      await queryRunner.query(`ALTER TABLE "webhook_deliveries" ADD "ordering_key" character varying(64)`);
      await queryRunner.query(
        `CREATE INDEX "index_webhook_deliveries_pending_in_order" ON "webhook_deliveries" ("webhook_id", "ordering_key", "event_id") WHERE status = 'pending' AND ordering_key IS NOT NULL`,
      );
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`DROP INDEX "index_webhook_deliveries_pending_in_order"`);
      await queryRunner.query(`ALTER TABLE "webhook_deliveries" DROP COLUMN "ordering_key"`);
      await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "ordered"`);
    });
  }
}
