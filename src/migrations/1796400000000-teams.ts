import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/**
 * Chatwoot's teams (`teams`), so a conversation's `team_id` names a row and payloads show
 * `meta.team` `{id, name}`; and `conversations.assignee_agent_bot_id`, Chatwoot's agent-bot
 * assignee, whose change is a `conversation_updated`.
 *
 * `team_id` existed before teams did, so a host may hold ids no team has. Its foreign key is added
 * without checking old rows (`NOT VALID`, new writes are checked) and validated only when no such
 * row exists; until then those conversations show `meta.team: null`, as before.
 */
export class Teams1796400000000 implements MigrationInterface {
  name = "Teams1796400000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      const q = (sql: string) => queryRunner.query(sql);
      await q(`CREATE TABLE "teams" ("id" SERIAL NOT NULL, "name" character varying(255) NOT NULL, "description" text, "allow_auto_assign" boolean NOT NULL DEFAULT true, "account_id" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_teams" PRIMARY KEY ("id"), CONSTRAINT "FK_teams_account" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
      await q(`CREATE UNIQUE INDEX "index_teams_on_name_and_account_id" ON "teams" ("name", "account_id")`);
      await q(`CREATE INDEX "index_teams_on_account_id" ON "teams" ("account_id")`);
      await q(`CREATE INDEX "index_conversations_on_team_id" ON "conversations" ("team_id")`);
      await q(`ALTER TABLE "conversations" ADD CONSTRAINT "FK_conversations_team" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE SET NULL ON UPDATE NO ACTION NOT VALID`);
      const [{ dangling }] = (await queryRunner.query(`SELECT EXISTS (SELECT 1 FROM "conversations" WHERE "team_id" IS NOT NULL) AS dangling`)) as Array<{ dangling: boolean }>;
      if (!dangling) await q(`ALTER TABLE "conversations" VALIDATE CONSTRAINT "FK_conversations_team"`);
      await q(`ALTER TABLE "conversations" ADD "assignee_agent_bot_id" integer`);
      await q(`ALTER TABLE "conversations" ADD CONSTRAINT "FK_conversations_assignee_agent_bot" FOREIGN KEY ("assignee_agent_bot_id") REFERENCES "agent_bots"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      const q = (sql: string) => queryRunner.query(sql);
      await q(`ALTER TABLE "conversations" DROP CONSTRAINT "FK_conversations_assignee_agent_bot"`);
      await q(`ALTER TABLE "conversations" DROP COLUMN "assignee_agent_bot_id"`);
      await q(`ALTER TABLE "conversations" DROP CONSTRAINT "FK_conversations_team"`);
      await q(`DROP INDEX "index_conversations_on_team_id"`);
      await q(`DROP TABLE "teams"`);
    });
  }
}
