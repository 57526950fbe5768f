import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/**
 * What saving a message does to its conversation and contact in Chatwoot, and the webhook events
 * those updates record, as one function the outbox subscriber calls in the saving transaction
 * (`messageSideEffects`, on by default). A function keeps it to one round trip for the host: the
 * reads, at most one update of each row and one insert of the events run inside PostgreSQL.
 *
 * Chatwoot runs these as separate saves after the message's commit, each with its own callbacks;
 * the function reproduces the events those saves fire (`changed_attributes` included, `updated_at`
 * last, times as Rails writes them) and nothing for the `update_columns` write of
 * `last_activity_at`, which fires nothing in Chatwoot either.
 *
 * `waiting_since` also gets Chatwoot's default on create (the creation time), so the first incoming
 * message of a new conversation does not set it again and fire an update Chatwoot never sends.
 */
export class MessageSideEffects1796410000000 implements MigrationInterface {
  name = "MessageSideEffects1796410000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`ALTER TABLE "conversations" ALTER COLUMN "waiting_since" SET DEFAULT now()`);
      await queryRunner.query(SIDE_EFFECTS_FUNCTION);
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`DROP FUNCTION "webhooks_message_side_effects"(integer)`);
      await queryRunner.query(`ALTER TABLE "conversations" ALTER COLUMN "waiting_since" DROP DEFAULT`);
    });
  }
}

/*
 * Rules, from Chatwoot's `Message` callbacks (app/models/message.rb) and the conversation and
 * contact callbacks they set off:
 * - reopen: an incoming message (not a reaction) of a contact who is not blocked opens a snoozed
 *   conversation, and a resolved one (pending instead when the inbox has an active agent bot);
 *   a status change clears `snoozed_until`, and records conversation_opened (for agent bots),
 *   conversation_status_changed and conversation_updated, as a status save does.
 * - activity: `last_activity_at` = the message's `created_at`, `updated_at` touched; no event.
 * - first reply: the first human reply (outgoing, from a user or an external echo, not private,
 *   not from an automation rule or campaign, no earlier such reply) sets
 *   `first_reply_created_at` and clears `waiting_since`; conversation_updated.
 * - otherwise a public human or bot reply clears `waiting_since`, and an incoming message (not a
 *   reaction) sets it when it is empty; conversation_updated.
 * - a contact's message sets the contact's `last_activity_at`; contact_updated.
 * Times written here are the clock's (`clock_timestamp()`), as Chatwoot writes them after the
 * commit; the message's own `created_at` is the transaction's.
 */
export const SIDE_EFFECTS_FUNCTION = `
CREATE FUNCTION "webhooks_message_side_effects"(p_message_id integer) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  f constant text := 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"';
  m messages%ROWTYPE;
  c conversations%ROWTYPE;
  v_now timestamptz := clock_timestamp();
  v_reaction boolean;
  v_human boolean;
  v_bot boolean;
  v_status text;
  v_waiting timestamptz;
  v_first_reply timestamptz;
  v_other_replies bigint;
  v_seen bigint;
  v_change json[];
  v_names text[] := '{}';
  v_data json[] := '{}';
  v_contact_id integer;
  v_contact_account integer;
  v_contact_seen timestamptz;
  v_contact_updated timestamptz;
BEGIN
  SELECT * INTO m FROM messages WHERE id = p_message_id;
  IF NOT FOUND THEN RETURN; END IF;
  SELECT * INTO c FROM conversations WHERE id = m.conversation_id FOR UPDATE;
  IF NOT FOUND THEN RETURN; END IF;

  -- Chatwoot's boolean cast of content_attributes.is_reaction; blank() as Ruby's blank?.
  v_reaction := CASE jsonb_typeof(m.content_attributes->'is_reaction')
    WHEN 'boolean' THEN (m.content_attributes->>'is_reaction')::boolean
    WHEN 'number' THEN (m.content_attributes->>'is_reaction')::numeric <> 0
    WHEN 'string' THEN lower(m.content_attributes->>'is_reaction') NOT IN ('', '0', 'f', 'false', 'off')
    ELSE false END;
  v_human := m.message_type = 'outgoing' AND NOT v_reaction
    AND coalesce(btrim(m.content_attributes->>'automation_rule_id'), '') IN ('', 'false', 'null')
    AND coalesce(btrim(m.additional_attributes->>'campaign_id'), '') IN ('', 'false', 'null')
    AND (m.sender_type = 'User' OR coalesce(btrim(m.content_attributes->>'external_echo'), '') NOT IN ('', 'false', 'null', '[]', '{}'));
  v_bot := m.message_type = 'outgoing' AND m.sender_type IN ('AgentBot', 'Captain::Assistant');
  v_status := c.status;
  v_waiting := c.waiting_since;
  v_first_reply := c.first_reply_created_at;

  IF m.message_type = 'incoming' AND NOT v_reaction AND c.status IN ('snoozed', 'resolved')
     AND NOT coalesce((SELECT blocked FROM contacts WHERE id = c.contact_id), false) THEN
    v_status := CASE WHEN c.status = 'resolved' AND EXISTS (SELECT 1 FROM agent_bot_inboxes WHERE inbox_id = c.inbox_id AND status = 0)
                     THEN 'pending' ELSE 'open' END;
    v_change := ARRAY[json_build_object('status', json_build_object('previous_value', c.status, 'current_value', v_status))];
    IF v_status = 'open' THEN
      v_names := v_names || 'conversation_opened'::text;
      v_data := v_data || NULL::json;
    END IF;
    v_names := v_names || ARRAY['conversation_status_changed', 'conversation_updated'];
    v_data := v_data || json_build_object('changed_attributes', array_to_json(v_change));
    IF c.snoozed_until IS NOT NULL THEN
      v_change := v_change || json_build_object('snoozed_until', json_build_object('previous_value', to_char(c.snoozed_until AT TIME ZONE 'UTC', f), 'current_value', NULL));
    END IF;
    v_change := v_change || json_build_object('updated_at', json_build_object('previous_value', to_char(c.updated_at AT TIME ZONE 'UTC', f), 'current_value', to_char(v_now AT TIME ZONE 'UTC', f)));
    v_data := v_data || json_build_object('changed_attributes', array_to_json(v_change));
    c.updated_at := v_now;
  END IF;

  v_change := NULL;
  -- Chatwoot counts the conversation's human replies (at most this one may be there). Only asked
  -- while there is no first reply, and first among the conversation's oldest 50 messages, which the index reads in order: the
  -- planner would otherwise gather the whole conversation to look for one row. Only when those
  -- 50 hold no other reply is the rest of the conversation searched.
  IF v_human AND NOT m.private AND c.first_reply_created_at IS NULL THEN
    SELECT count(*) FILTER (WHERE s.message_type = 'outgoing' AND s.sender_type NOT IN ('AgentBot', 'Captain::Assistant')
                              AND s.private IS NOT TRUE AND (s.additional_attributes->'campaign_id') IS NULL),
           count(*)
    INTO v_other_replies, v_seen
    FROM (SELECT x.message_type, x.sender_type, x.private, x.additional_attributes FROM messages x
          WHERE x.conversation_id = c.id AND x.id <> m.id ORDER BY x.created_at LIMIT 50) s;
    IF v_other_replies = 0 AND v_seen = 50 THEN
      v_other_replies := (SELECT count(*) FROM (SELECT 1 FROM messages x WHERE x.conversation_id = c.id AND x.id <> m.id
                            AND x.message_type = 'outgoing' AND x.sender_type NOT IN ('AgentBot', 'Captain::Assistant')
                            AND x.private IS NOT TRUE AND (x.additional_attributes->'campaign_id') IS NULL LIMIT 1) other);
    END IF;
    IF v_other_replies = 0 THEN v_first_reply := m.created_at; END IF;
  END IF;
  IF v_first_reply IS NOT NULL AND c.first_reply_created_at IS NULL THEN
    v_waiting := NULL;
    v_change := ARRAY[json_build_object('first_reply_created_at', json_build_object('previous_value', NULL, 'current_value', to_char(m.created_at AT TIME ZONE 'UTC', f)))];
  ELSIF c.waiting_since IS NOT NULL AND NOT m.private AND (v_human OR v_bot) THEN
    v_waiting := NULL;
  ELSIF m.message_type = 'incoming' AND NOT v_reaction AND c.waiting_since IS NULL THEN
    v_waiting := m.created_at;
  END IF;
  IF v_waiting IS DISTINCT FROM c.waiting_since THEN
    v_change := coalesce(v_change, '{}') || json_build_object('waiting_since', json_build_object('previous_value', to_char(c.waiting_since AT TIME ZONE 'UTC', f), 'current_value', to_char(v_waiting AT TIME ZONE 'UTC', f)));
  END IF;
  IF v_change IS NOT NULL THEN
    -- A second save in Chatwoot, a moment after the reopening one.
    IF c.updated_at = v_now THEN v_now := clock_timestamp(); END IF;
    v_change := v_change || json_build_object('updated_at', json_build_object('previous_value', to_char(c.updated_at AT TIME ZONE 'UTC', f), 'current_value', to_char(v_now AT TIME ZONE 'UTC', f)));
    v_names := v_names || 'conversation_updated'::text;
    v_data := v_data || json_build_object('changed_attributes', array_to_json(v_change));
  END IF;

  UPDATE conversations
  SET last_activity_at = m.created_at, updated_at = v_now, status = v_status,
      snoozed_until = CASE WHEN v_status = c.status THEN snoozed_until END,
      waiting_since = v_waiting, first_reply_created_at = v_first_reply
  WHERE id = c.id;

  IF m.sender_type = 'Contact' AND m.sender_id IS NOT NULL THEN
    UPDATE contacts x SET last_activity_at = v_now, updated_at = v_now
    FROM (SELECT id, last_activity_at, updated_at FROM contacts WHERE id = m.sender_id FOR UPDATE) old
    WHERE x.id = old.id
    RETURNING x.id, x.account_id, old.last_activity_at, old.updated_at INTO v_contact_id, v_contact_account, v_contact_seen, v_contact_updated;
  END IF;

  IF cardinality(v_names) > 0 OR v_contact_id IS NOT NULL THEN
    INSERT INTO webhook_events (account_id, inbox_id, event, subject_type, subject_id, data)
    SELECT c.account_id, c.inbox_id, e.name, 'Conversation', c.id, e.data FROM unnest(v_names, v_data) WITH ORDINALITY AS e(name, data, n)
    UNION ALL
    SELECT v_contact_account, NULL, 'contact_updated', 'Contact', v_contact_id,
           json_build_object('changed_attributes', json_build_array(
             json_build_object('last_activity_at', json_build_object('previous_value', to_char(v_contact_seen AT TIME ZONE 'UTC', f), 'current_value', to_char(v_now AT TIME ZONE 'UTC', f))),
             json_build_object('updated_at', json_build_object('previous_value', to_char(v_contact_updated AT TIME ZONE 'UTC', f), 'current_value', to_char(v_now AT TIME ZONE 'UTC', f)))))
    WHERE v_contact_id IS NOT NULL;
  END IF;
END $$`;
