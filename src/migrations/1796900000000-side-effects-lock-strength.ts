import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";
import { SIDE_EFFECTS_FUNCTION } from "./1796410000000-message-side-effects";

/** The side-effects function of migration 1796410000000, its row locks as `lock` (that migration's text is fixed). */
const withRowLocks = (lock: "FOR UPDATE" | "FOR NO KEY UPDATE"): string => SIDE_EFFECTS_FUNCTION.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION").replace(/FOR UPDATE/g, lock);

/**
 * The side effects of a message lock its conversation and contact `FOR NO KEY UPDATE` instead of
 * `FOR UPDATE`. They run in the dispatcher's fan-out transaction, and `FOR UPDATE` conflicts with
 * the `FOR KEY SHARE` lock a foreign key check takes: the host's next message in that
 * conversation (or a conversation for that contact) waited for the fan-out to commit. The weaker
 * lock still serializes side effects on one row (it conflicts with itself and with updates), and
 * is what the function's own UPDATEs take anyway (they change no key column).
 */
export class SideEffectsLockStrength1796900000000 implements MigrationInterface {
  name = "SideEffectsLockStrength1796900000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, () => queryRunner.query(withRowLocks("FOR NO KEY UPDATE")));
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, () => queryRunner.query(withRowLocks("FOR UPDATE")));
  }
}
