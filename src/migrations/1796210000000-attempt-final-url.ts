import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/**
 * `webhook_attempts.final_url`: where an attempt that followed redirects ended (the last hop's
 * URL, never with credentials), for the delivery log. Null for attempts that followed none.
 */
export class AttemptFinalUrl1796210000000 implements MigrationInterface {
  name = "AttemptFinalUrl1796210000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`ALTER TABLE "webhook_attempts" ADD "final_url" text`);
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`ALTER TABLE "webhook_attempts" DROP COLUMN "final_url"`);
    });
  }
}
