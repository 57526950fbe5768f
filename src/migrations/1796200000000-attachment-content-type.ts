import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/**
 * `attachments.content_type`: the file's MIME type, which Chatwoot's attachment payload carries for
 * files (`content_type`, right after `extension`). Nullable: rows written before it, and files
 * whose type the host does not know, send `null`. 255 characters is the longest a MIME type can be
 * (RFC 6838: 127 for the type, 127 for the subtype, and the slash).
 */
export class AttachmentContentType1796200000000 implements MigrationInterface {
  name = "AttachmentContentType1796200000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`ALTER TABLE "attachments" ADD "content_type" character varying(255)`);
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`ALTER TABLE "attachments" DROP COLUMN "content_type"`);
    });
  }
}
