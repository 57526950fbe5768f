import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/**
 * Chatwoot's other two webhook kinds: API-channel inboxes (`channel_api.webhook_url`) and agent
 * bots (`agent_bots.outgoing_url`, connected to inboxes through `agent_bot_inboxes`).
 *
 * The engine delivers to rows of `webhooks`, so each target of the new kinds is mirrored there by
 * triggers: `webhook_type` 1 for an API inbox, 2 for an agent bot's connection to an inbox. The
 * triggers run on every write to the source tables (TypeORM, QueryBuilder, raw SQL), so the mirror
 * cannot drift; outbox, leases, retries, the delivery log and redelivery then apply unchanged.
 * The management API only ever shows `webhook_type` 0 (Chatwoot's account webhooks).
 */
export class InboxAndBotWebhooks1795900000000 implements MigrationInterface {
  name = "InboxAndBotWebhooks1795900000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      const q = (sql: string) => queryRunner.query(sql);
      // A random token as a column default, for rows written without the entity class (the
      // entities' BeforeInsert hooks give Chatwoot-style 24-character base58 tokens instead).
      await q(`CREATE FUNCTION "webhooks_random_token"() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT replace(gen_random_uuid()::text, '-', '') $$`);
      const token = `webhooks_random_token()`;
      await q(`CREATE TABLE "channel_api" ("id" SERIAL NOT NULL, "account_id" integer NOT NULL, "webhook_url" text, "secret" character varying(255) NOT NULL DEFAULT ${token}, "hmac_token" character varying(255) NOT NULL DEFAULT ${token}, "hmac_mandatory" boolean NOT NULL DEFAULT false, "identifier" character varying(255) NOT NULL DEFAULT ${token}, "additional_attributes" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_channel_api" PRIMARY KEY ("id"), CONSTRAINT "FK_channel_api_account" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE)`);
      await q(`CREATE UNIQUE INDEX "index_channel_api_on_identifier" ON "channel_api" ("identifier")`);
      await q(`CREATE UNIQUE INDEX "index_channel_api_on_hmac_token" ON "channel_api" ("hmac_token")`);
      await q(`ALTER TABLE "inboxes" ADD "channel_id" integer`);
      await q(`CREATE INDEX "index_inboxes_on_channel_id_and_channel_type" ON "inboxes" ("channel_id", "channel_type")`);

      await q(`ALTER TABLE "agent_bots" ADD "description" text, ADD "outgoing_url" text, ADD "bot_type" integer NOT NULL DEFAULT 0, ADD "bot_config" jsonb NOT NULL DEFAULT '{}', ADD "secret" character varying(255) NOT NULL DEFAULT ${token}`);
      await q(`ALTER TABLE "agent_bots" ADD CONSTRAINT "FK_agent_bots_account" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE`);
      await q(`CREATE INDEX "index_agent_bots_on_account_id" ON "agent_bots" ("account_id")`);
      await q(`CREATE TABLE "agent_bot_inboxes" ("id" SERIAL NOT NULL, "inbox_id" integer NOT NULL, "agent_bot_id" integer NOT NULL, "account_id" integer NOT NULL, "status" integer NOT NULL DEFAULT 0, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_agent_bot_inboxes" PRIMARY KEY ("id"), CONSTRAINT "FK_agent_bot_inboxes_inbox" FOREIGN KEY ("inbox_id") REFERENCES "inboxes"("id") ON DELETE CASCADE, CONSTRAINT "FK_agent_bot_inboxes_agent_bot" FOREIGN KEY ("agent_bot_id") REFERENCES "agent_bots"("id") ON DELETE CASCADE, CONSTRAINT "FK_agent_bot_inboxes_account" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE)`);
      // One bot per inbox, as Chatwoot's `has_one :agent_bot_inbox`.
      await q(`CREATE UNIQUE INDEX "index_agent_bot_inboxes_on_inbox_id" ON "agent_bot_inboxes" ("inbox_id")`);
      await q(`CREATE INDEX "index_agent_bot_inboxes_on_agent_bot_id" ON "agent_bot_inboxes" ("agent_bot_id")`);

      // A token belongs to a user or to an agent bot (Chatwoot's polymorphic owner).
      await q(`ALTER TABLE "access_tokens" ALTER COLUMN "user_id" DROP NOT NULL, ADD "agent_bot_id" integer`);
      await q(`ALTER TABLE "access_tokens" ADD CONSTRAINT "FK_access_tokens_agent_bot" FOREIGN KEY ("agent_bot_id") REFERENCES "agent_bots"("id") ON DELETE CASCADE`);
      await q(`ALTER TABLE "access_tokens" ADD CONSTRAINT "CHK_access_tokens_one_owner" CHECK (("user_id" IS NULL) <> ("agent_bot_id" IS NULL))`);
      await q(`CREATE UNIQUE INDEX "index_access_tokens_on_agent_bot_id" ON "access_tokens" ("agent_bot_id") WHERE "agent_bot_id" IS NOT NULL`);

      // Account settings (Chatwoot keeps `keep_pending_on_bot_failure` there).
      await q(`ALTER TABLE "accounts" ADD "settings" jsonb NOT NULL DEFAULT '{}'`);

      // The mirror rows of the new kinds.
      await q(`ALTER TABLE "webhooks" ADD "agent_bot_id" integer`);
      await q(`ALTER TABLE "webhooks" ADD CONSTRAINT "FK_webhooks_agent_bot" FOREIGN KEY ("agent_bot_id") REFERENCES "agent_bots"("id") ON DELETE CASCADE`);
      await q(`DROP INDEX "index_webhooks_on_account_id_and_url"`);
      await q(`CREATE UNIQUE INDEX "index_webhooks_on_account_id_and_url" ON "webhooks" ("account_id", "url") WHERE "webhook_type" = 0`);
      await q(`CREATE UNIQUE INDEX "index_webhooks_inbox_type" ON "webhooks" ("inbox_id") WHERE "webhook_type" = 1`);
      await q(`CREATE UNIQUE INDEX "index_webhooks_agent_bot_type" ON "webhooks" ("inbox_id", "agent_bot_id") WHERE "webhook_type" = 2`);

      await q(`
        CREATE FUNCTION "webhooks_sync_inbox"(p_inbox_id integer) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
          v_account integer; v_url text; v_secret text; v_bot integer; v_bot_url text; v_bot_secret text; v_dropped integer[];
        BEGIN
          -- API channel: every conversation, message, typing and widget event of the inbox.
          SELECT i.account_id, c.webhook_url, c.secret INTO v_account, v_url, v_secret
          FROM inboxes i JOIN channel_api c ON c.id = i.channel_id
          WHERE i.id = p_inbox_id AND i.channel_type = 'Channel::Api';
          IF coalesce(v_url, '') <> '' THEN
            INSERT INTO webhooks (account_id, inbox_id, url, subscriptions, webhook_type, secret, enabled)
            VALUES (v_account, p_inbox_id, v_url,
                    '["conversation_status_changed","conversation_updated","conversation_created","message_created","message_updated","webwidget_triggered","conversation_typing_on","conversation_typing_off"]',
                    1, v_secret, true)
            ON CONFLICT (inbox_id) WHERE webhook_type = 1 DO UPDATE
              SET account_id = EXCLUDED.account_id, url = EXCLUDED.url, secret = EXCLUDED.secret, enabled = true, disabled_reason = NULL, updated_at = now()
              WHERE (webhooks.account_id, webhooks.url, webhooks.secret, webhooks.enabled) IS DISTINCT FROM (EXCLUDED.account_id, EXCLUDED.url, EXCLUDED.secret, true);
          ELSE
            UPDATE webhooks SET enabled = false, disabled_reason = 'manual', updated_at = now()
            WHERE webhook_type = 1 AND inbox_id = p_inbox_id AND enabled;
          END IF;

          -- Agent bot: the inbox's active bot, when it has an outgoing URL.
          SELECT b.id, i.account_id, b.outgoing_url, b.secret INTO v_bot, v_account, v_bot_url, v_bot_secret
          FROM agent_bot_inboxes abi JOIN inboxes i ON i.id = abi.inbox_id JOIN agent_bots b ON b.id = abi.agent_bot_id
          WHERE abi.inbox_id = p_inbox_id AND abi.status = 0 AND b.bot_type = 0 AND coalesce(b.outgoing_url, '') <> '';
          -- A bot that is no longer the inbox's active bot gets nothing more: what it has pending
          -- is stale for a conversation bot, so it fails instead of waiting for a reconnection.
          WITH dropped AS (
            UPDATE webhooks SET enabled = false, disabled_reason = 'manual', updated_at = now()
            WHERE webhook_type = 2 AND inbox_id = p_inbox_id AND enabled AND (v_bot IS NULL OR agent_bot_id <> v_bot)
            RETURNING id
          ) SELECT array_agg(id) INTO v_dropped FROM dropped;
          IF v_dropped IS NOT NULL THEN
            UPDATE webhook_deliveries
            SET status = 'failed', parked = false, next_attempt_at = NULL, completed_at = now(),
                last_error = 'the agent bot is no longer connected to this inbox'
            WHERE webhook_id = ANY(v_dropped) AND status = 'pending';
          END IF;
          IF v_bot IS NOT NULL THEN
            INSERT INTO webhooks (account_id, inbox_id, agent_bot_id, url, subscriptions, webhook_type, secret, enabled)
            VALUES (v_account, p_inbox_id, v_bot, v_bot_url,
                    '["message_created","message_updated","conversation_opened","conversation_resolved","webwidget_triggered"]',
                    2, v_bot_secret, true)
            ON CONFLICT (inbox_id, agent_bot_id) WHERE webhook_type = 2 DO UPDATE
              SET account_id = EXCLUDED.account_id, url = EXCLUDED.url, secret = EXCLUDED.secret, enabled = true, disabled_reason = NULL, updated_at = now()
              WHERE (webhooks.account_id, webhooks.url, webhooks.secret, webhooks.enabled) IS DISTINCT FROM (EXCLUDED.account_id, EXCLUDED.url, EXCLUDED.secret, true);
          END IF;
        END $$`);
      await q(`
        CREATE FUNCTION "webhooks_sync_trigger"() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE r record;
        BEGIN
          IF TG_TABLE_NAME = 'inboxes' THEN
            PERFORM webhooks_sync_inbox(NEW.id);
          ELSIF TG_TABLE_NAME = 'agent_bot_inboxes' THEN
            IF TG_OP <> 'INSERT' THEN PERFORM webhooks_sync_inbox(OLD.inbox_id); END IF;
            IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.inbox_id <> OLD.inbox_id) THEN PERFORM webhooks_sync_inbox(NEW.inbox_id); END IF;
          ELSIF TG_TABLE_NAME = 'channel_api' THEN
            FOR r IN SELECT id FROM inboxes WHERE channel_type = 'Channel::Api' AND channel_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END LOOP
              PERFORM webhooks_sync_inbox(r.id);
            END LOOP;
          ELSIF TG_TABLE_NAME = 'agent_bots' THEN
            FOR r IN SELECT inbox_id FROM agent_bot_inboxes WHERE agent_bot_id = NEW.id LOOP
              PERFORM webhooks_sync_inbox(r.inbox_id);
            END LOOP;
          END IF;
          RETURN NULL;
        END $$`);
      await q(`CREATE TRIGGER "webhooks_sync" AFTER INSERT OR UPDATE OF "channel_type", "channel_id", "account_id" ON "inboxes" FOR EACH ROW EXECUTE FUNCTION "webhooks_sync_trigger"()`);
      await q(`CREATE TRIGGER "webhooks_sync" AFTER INSERT OR UPDATE OR DELETE ON "agent_bot_inboxes" FOR EACH ROW EXECUTE FUNCTION "webhooks_sync_trigger"()`);
      await q(`CREATE TRIGGER "webhooks_sync" AFTER UPDATE OR DELETE ON "channel_api" FOR EACH ROW EXECUTE FUNCTION "webhooks_sync_trigger"()`);
      await q(`CREATE TRIGGER "webhooks_sync" AFTER UPDATE OF "outgoing_url", "secret", "bot_type" ON "agent_bots" FOR EACH ROW EXECUTE FUNCTION "webhooks_sync_trigger"()`);
      // An inbox's mirror rows go with it (the inbox foreign key of account webhooks only nulls).
      await q(`
        CREATE FUNCTION "webhooks_drop_inbox_targets"() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM webhooks WHERE inbox_id = OLD.id AND webhook_type IN (1, 2);
          RETURN OLD;
        END $$`);
      await q(`CREATE TRIGGER "webhooks_drop_inbox_targets" BEFORE DELETE ON "inboxes" FOR EACH ROW EXECUTE FUNCTION "webhooks_drop_inbox_targets"()`);
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      const q = (sql: string) => queryRunner.query(sql);
      await q(`DROP TRIGGER "webhooks_drop_inbox_targets" ON "inboxes"`);
      await q(`DROP FUNCTION "webhooks_drop_inbox_targets"()`);
      for (const table of ["inboxes", "agent_bot_inboxes", "channel_api", "agent_bots"]) await q(`DROP TRIGGER "webhooks_sync" ON "${table}"`);
      await q(`DROP FUNCTION "webhooks_sync_trigger"()`);
      await q(`DROP FUNCTION "webhooks_sync_inbox"(integer)`);
      await q(`DELETE FROM "webhooks" WHERE "webhook_type" <> 0`);
      await q(`DROP INDEX "index_webhooks_agent_bot_type"`);
      await q(`DROP INDEX "index_webhooks_inbox_type"`);
      await q(`DROP INDEX "index_webhooks_on_account_id_and_url"`);
      await q(`CREATE UNIQUE INDEX "index_webhooks_on_account_id_and_url" ON "webhooks" ("account_id", "url")`);
      await q(`ALTER TABLE "webhooks" DROP CONSTRAINT "FK_webhooks_agent_bot", DROP COLUMN "agent_bot_id"`);
      await q(`ALTER TABLE "accounts" DROP COLUMN "settings"`);
      await q(`DELETE FROM "access_tokens" WHERE "user_id" IS NULL`);
      await q(`DROP INDEX "index_access_tokens_on_agent_bot_id"`);
      await q(`ALTER TABLE "access_tokens" DROP CONSTRAINT "CHK_access_tokens_one_owner", DROP CONSTRAINT "FK_access_tokens_agent_bot", DROP COLUMN "agent_bot_id", ALTER COLUMN "user_id" SET NOT NULL`);
      await q(`DROP TABLE "agent_bot_inboxes"`);
      await q(`DROP INDEX "index_agent_bots_on_account_id"`);
      await q(`ALTER TABLE "agent_bots" DROP CONSTRAINT "FK_agent_bots_account", DROP COLUMN "description", DROP COLUMN "outgoing_url", DROP COLUMN "bot_type", DROP COLUMN "bot_config", DROP COLUMN "secret"`);
      await q(`DROP INDEX "index_inboxes_on_channel_id_and_channel_type"`);
      await q(`ALTER TABLE "inboxes" DROP COLUMN "channel_id"`);
      await q(`DROP TABLE "channel_api"`);
      await q(`DROP FUNCTION "webhooks_random_token"()`);
    });
  }
}
