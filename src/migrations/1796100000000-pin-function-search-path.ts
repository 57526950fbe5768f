import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/** The library's trigger functions, with their argument types (how ALTER FUNCTION names them). */
const FUNCTIONS = [
  "conversations_assign_display_id()",
  "webhooks_park_deliveries()",
  "webhooks_random_token()",
  "webhooks_sync_inbox(integer)",
  "webhooks_sync_trigger()",
  "webhooks_drop_inbox_targets()",
];

/**
 * Trigger functions resolve the table names in their bodies with the search path of whoever fires
 * them, which is the host's: with the library's tables in a schema of their own, a host's insert
 * into `inboxes` would make `webhooks_sync_inbox` look for `webhooks` in `public`. Each function
 * keeps the search path it was created with instead (the library's schema first, see
 * `inLibrarySchema`). The same pinning also keeps a host's own tables of the same names from ever
 * being written by these functions.
 */
export class PinFunctionSearchPath1796100000000 implements MigrationInterface {
  name = "PinFunctionSearchPath1796100000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      for (const fn of FUNCTIONS) await queryRunner.query(`ALTER FUNCTION ${fn} SET search_path FROM CURRENT`);
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      for (const fn of FUNCTIONS) await queryRunner.query(`ALTER FUNCTION ${fn} RESET search_path`);
    });
  }
}
