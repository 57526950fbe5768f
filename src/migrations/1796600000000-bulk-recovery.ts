import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/**
 * Bulk recovery: `webhook_recoveries` holds each recovery's whole state (range, cursor, counts,
 * lease), so a recovery survives the process that started it; at most one runs per owner (the
 * partial unique index). `index_webhook_deliveries_failed` is what a recovery walks and counts: one
 * webhook's failed deliveries in creation order, without reading its succeeded ones. It costs an
 * index entry only when a delivery becomes failed.
 */
export class BulkRecovery1796600000000 implements MigrationInterface {
  name = "BulkRecovery1796600000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      const q = (sql: string) => queryRunner.query(sql);
      await q(
        `CREATE TABLE "webhook_recoveries" ("id" BIGSERIAL NOT NULL, "account_id" integer NOT NULL, "owner_kind" character varying(16) NOT NULL, "owner_id" integer NOT NULL, "webhook_ids" integer array NOT NULL, "since" TIMESTAMP WITH TIME ZONE NOT NULL, "until" TIMESTAMP WITH TIME ZONE NOT NULL, "state" character varying(16) NOT NULL DEFAULT 'running', "total" integer NOT NULL DEFAULT 0, "done" integer NOT NULL DEFAULT 0, "batches" integer NOT NULL DEFAULT 0, "cursor_webhook_id" integer, "cursor_created_at" TIMESTAMP WITH TIME ZONE, "cursor_id" uuid, "locked_until" TIMESTAMP WITH TIME ZONE, "locked_by" uuid, "requested_by" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_webhook_recoveries" PRIMARY KEY ("id"), CONSTRAINT "FK_webhook_recoveries_account" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
      );
      await q(`CREATE UNIQUE INDEX "index_webhook_recoveries_running" ON "webhook_recoveries" ("account_id", "owner_kind", "owner_id") WHERE state = 'running'`);
      await q(`CREATE INDEX "index_webhook_recoveries_on_owner" ON "webhook_recoveries" ("account_id", "owner_kind", "owner_id", "id")`);
      await q(`CREATE INDEX "index_webhook_deliveries_failed" ON "webhook_deliveries" ("webhook_id", "created_at", "id") WHERE status = 'failed'`);
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`DROP INDEX "index_webhook_deliveries_failed"`);
      await queryRunner.query(`DROP TABLE "webhook_recoveries"`);
    });
  }
}
