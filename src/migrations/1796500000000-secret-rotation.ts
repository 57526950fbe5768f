import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/** The tables whose rows own a signing secret: account webhooks, API channels, agent bots. */
const OWNERS = ["webhooks", "channel_api", "agent_bots"];

/**
 * Secret rotation with an overlap (`…/rotate_secret`): each owner of a secret records its last
 * rotation (when, by whom) and keeps the previous secret until the overlap ends. The triggers that
 * mirror API channels and agent bots into `webhooks` now copy the previous secret and its expiry
 * too, so delivery reads both from the `webhooks` row of every kind; the bot trigger also fires on
 * those two columns (ending an overlap early changes nothing else).
 */
export class SecretRotation1796500000000 implements MigrationInterface {
  name = "SecretRotation1796500000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      const q = (sql: string) => queryRunner.query(sql);
      for (const table of OWNERS) {
        await q(`ALTER TABLE "${table}" ADD "previous_secret" character varying(255), ADD "previous_secret_expires_at" TIMESTAMP WITH TIME ZONE, ADD "secret_rotated_at" TIMESTAMP WITH TIME ZONE, ADD "secret_rotated_by_id" integer`);
      }
      await q(syncInboxFunction(true));
      await q(`DROP TRIGGER "webhooks_sync" ON "agent_bots"`);
      await q(`CREATE TRIGGER "webhooks_sync" AFTER UPDATE OF "outgoing_url", "secret", "bot_type", "previous_secret", "previous_secret_expires_at" ON "agent_bots" FOR EACH ROW EXECUTE FUNCTION "webhooks_sync_trigger"()`);
      // Rows mirrored before this migration have no previous secret: nothing to copy.
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      const q = (sql: string) => queryRunner.query(sql);
      await q(`DROP TRIGGER "webhooks_sync" ON "agent_bots"`);
      await q(`CREATE TRIGGER "webhooks_sync" AFTER UPDATE OF "outgoing_url", "secret", "bot_type" ON "agent_bots" FOR EACH ROW EXECUTE FUNCTION "webhooks_sync_trigger"()`);
      await q(syncInboxFunction(false));
      for (const table of OWNERS) {
        await q(`ALTER TABLE "${table}" DROP COLUMN "previous_secret", DROP COLUMN "previous_secret_expires_at", DROP COLUMN "secret_rotated_at", DROP COLUMN "secret_rotated_by_id"`);
      }
    });
  }
}

/**
 * `webhooks_sync_inbox` as the 1795900000000 migration created it, with (`rotation`) or without
 * the previous secret and its expiry copied onto the mirror rows. Its search path stays pinned
 * as the 1796100000000 migration set it (CREATE OR REPLACE would otherwise drop that setting).
 */
function syncInboxFunction(rotation: boolean): string {
  const pick = (withRotation: string, without: string) => (rotation ? withRotation : without);
  const declare = pick(" v_previous text; v_expires timestamptz; v_bot_previous text; v_bot_expires timestamptz;", "");
  const insertColumns = pick(", previous_secret, previous_secret_expires_at", "");
  const set = pick(", previous_secret = EXCLUDED.previous_secret, previous_secret_expires_at = EXCLUDED.previous_secret_expires_at", "");
  const compared = pick(", webhooks.previous_secret, webhooks.previous_secret_expires_at", "");
  const excluded = pick(", EXCLUDED.previous_secret, EXCLUDED.previous_secret_expires_at", "");
  return `
    CREATE OR REPLACE FUNCTION "webhooks_sync_inbox"(p_inbox_id integer) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    DECLARE
      v_account integer; v_url text; v_secret text; v_bot integer; v_bot_url text; v_bot_secret text; v_dropped integer[];${declare}
    BEGIN
      -- API channel: every conversation, message, typing and widget event of the inbox.
      SELECT i.account_id, c.webhook_url, c.secret${pick(", c.previous_secret, c.previous_secret_expires_at", "")} INTO v_account, v_url, v_secret${pick(", v_previous, v_expires", "")}
      FROM inboxes i JOIN channel_api c ON c.id = i.channel_id
      WHERE i.id = p_inbox_id AND i.channel_type = 'Channel::Api';
      IF coalesce(v_url, '') <> '' THEN
        INSERT INTO webhooks (account_id, inbox_id, url, subscriptions, webhook_type, secret, enabled${insertColumns})
        VALUES (v_account, p_inbox_id, v_url,
                '["conversation_status_changed","conversation_updated","conversation_created","message_created","message_updated","webwidget_triggered","conversation_typing_on","conversation_typing_off"]',
                1, v_secret, true${pick(", v_previous, v_expires", "")})
        ON CONFLICT (inbox_id) WHERE webhook_type = 1 DO UPDATE
          SET account_id = EXCLUDED.account_id, url = EXCLUDED.url, secret = EXCLUDED.secret${set}, enabled = true, disabled_reason = NULL, updated_at = now()
          WHERE (webhooks.account_id, webhooks.url, webhooks.secret, webhooks.enabled${compared}) IS DISTINCT FROM (EXCLUDED.account_id, EXCLUDED.url, EXCLUDED.secret, true${excluded});
      ELSE
        UPDATE webhooks SET enabled = false, disabled_reason = 'manual', updated_at = now()
        WHERE webhook_type = 1 AND inbox_id = p_inbox_id AND enabled;
      END IF;

      -- Agent bot: the inbox's active bot, when it has an outgoing URL.
      SELECT b.id, i.account_id, b.outgoing_url, b.secret${pick(", b.previous_secret, b.previous_secret_expires_at", "")} INTO v_bot, v_account, v_bot_url, v_bot_secret${pick(", v_bot_previous, v_bot_expires", "")}
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
        INSERT INTO webhooks (account_id, inbox_id, agent_bot_id, url, subscriptions, webhook_type, secret, enabled${insertColumns})
        VALUES (v_account, p_inbox_id, v_bot, v_bot_url,
                '["message_created","message_updated","conversation_opened","conversation_resolved","webwidget_triggered"]',
                2, v_bot_secret, true${pick(", v_bot_previous, v_bot_expires", "")})
        ON CONFLICT (inbox_id, agent_bot_id) WHERE webhook_type = 2 DO UPDATE
          SET account_id = EXCLUDED.account_id, url = EXCLUDED.url, secret = EXCLUDED.secret${set}, enabled = true, disabled_reason = NULL, updated_at = now()
          WHERE (webhooks.account_id, webhooks.url, webhooks.secret, webhooks.enabled${compared}) IS DISTINCT FROM (EXCLUDED.account_id, EXCLUDED.url, EXCLUDED.secret, true${excluded});
      END IF;
    END $$`;
}
