import type { MigrationInterface, QueryRunner } from "typeorm";
import { inLibrarySchema } from "../tables";

/**
 * The whole schema: the Chatwoot domain tables the payloads are built from, and the webhook,
 * outbox (`webhook_events`), delivery and attempt tables. Conversation display ids are handed
 * out per account by a trigger, as Chatwoot does with a per-account sequence.
 */
export class InitialSchema1795600000000 implements MigrationInterface {
  name = "InitialSchema1795600000000";

  public up(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      await queryRunner.query(`CREATE TABLE "users" ("id" SERIAL NOT NULL, "name" character varying(255) NOT NULL, "display_name" character varying(255), "email" character varying(255) NOT NULL, "avatar_url" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_97672ac88f789774dd47f7c8be3" UNIQUE ("email"), CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE TABLE "access_tokens" ("id" SERIAL NOT NULL, "user_id" integer NOT NULL, "token" character varying(255) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_9f8f44257355360846bb3826ed6" UNIQUE ("token"), CONSTRAINT "PK_65140f59763ff994a0252488166" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE TABLE "accounts" ("id" SERIAL NOT NULL, "name" character varying(255) NOT NULL, "conversation_seq" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5a7a02c20412299d198e097a8fe" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE TABLE "account_users" ("id" SERIAL NOT NULL, "account_id" integer NOT NULL, "user_id" integer NOT NULL, "role" character varying(20) NOT NULL DEFAULT 'agent', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0de86c382786ba5239e47025221" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE UNIQUE INDEX "index_account_users_on_account_id_and_user_id" ON "account_users"  ("account_id", "user_id") `);
      await queryRunner.query(`CREATE TABLE "agent_bots" ("id" SERIAL NOT NULL, "account_id" integer, "name" character varying(255) NOT NULL, "avatar_url" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_c0297315a14a2ef50954071ceb1" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE TABLE "contacts" ("id" SERIAL NOT NULL, "account_id" integer NOT NULL, "name" character varying(255) NOT NULL DEFAULT '', "email" character varying(255), "phone_number" character varying(64), "identifier" character varying(255), "avatar_url" text, "additional_attributes" jsonb NOT NULL DEFAULT '{}', "custom_attributes" jsonb NOT NULL DEFAULT '{}', "blocked" boolean NOT NULL DEFAULT false, "last_activity_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_b99cd40cfd66a99f1571f4f72e6" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE UNIQUE INDEX "uniq_email_per_account_contact" ON "contacts"  ("account_id", "email") `);
      await queryRunner.query(`CREATE INDEX "index_contacts_on_account_id" ON "contacts"  ("account_id") `);
      await queryRunner.query(`CREATE TABLE "inboxes" ("id" SERIAL NOT NULL, "account_id" integer NOT NULL, "name" character varying(255) NOT NULL, "channel_type" character varying(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_902c6fe5be554398e6833bb099c" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE INDEX "index_inboxes_on_account_id" ON "inboxes"  ("account_id") `);
      await queryRunner.query(`CREATE TABLE "contact_inboxes" ("id" SERIAL NOT NULL, "contact_id" integer NOT NULL, "inbox_id" integer NOT NULL, "source_id" text NOT NULL, "hmac_verified" boolean NOT NULL DEFAULT false, "pubsub_token" character varying(64), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_1ba7892549d499e5c1833b394a5" UNIQUE ("pubsub_token"), CONSTRAINT "PK_ce31ed11cf17c02835166cf458c" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE INDEX "index_contact_inboxes_on_contact_id" ON "contact_inboxes"  ("contact_id") `);
      await queryRunner.query(`CREATE UNIQUE INDEX "index_contact_inboxes_on_inbox_id_and_source_id" ON "contact_inboxes"  ("inbox_id", "source_id") `);
      await queryRunner.query(`CREATE TABLE "conversations" ("id" SERIAL NOT NULL, "account_id" integer NOT NULL, "inbox_id" integer NOT NULL, "contact_id" integer NOT NULL, "contact_inbox_id" integer, "display_id" integer NOT NULL DEFAULT '0', "status" character varying(16) NOT NULL DEFAULT 'open', "priority" character varying(16), "assignee_id" integer, "team_id" integer, "additional_attributes" jsonb NOT NULL DEFAULT '{}', "custom_attributes" jsonb NOT NULL DEFAULT '{}', "labels" text array NOT NULL DEFAULT '{}', "snoozed_until" TIMESTAMP WITH TIME ZONE, "waiting_since" TIMESTAMP WITH TIME ZONE, "first_reply_created_at" TIMESTAMP WITH TIME ZONE, "agent_last_seen_at" TIMESTAMP WITH TIME ZONE, "contact_last_seen_at" TIMESTAMP WITH TIME ZONE, "last_activity_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_ee34f4f7ced4ec8681f26bf04ef" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE INDEX "index_conversations_on_contact_id" ON "conversations"  ("contact_id") `);
      await queryRunner.query(`CREATE INDEX "index_conversations_on_inbox_id" ON "conversations"  ("inbox_id") `);
      await queryRunner.query(`CREATE UNIQUE INDEX "index_conversations_on_account_id_and_display_id" ON "conversations"  ("account_id", "display_id") `);
      await queryRunner.query(`CREATE TABLE "messages" ("id" SERIAL NOT NULL, "account_id" integer NOT NULL, "inbox_id" integer NOT NULL, "conversation_id" integer NOT NULL, "content" text, "message_type" character varying(16) NOT NULL DEFAULT 'outgoing', "content_type" character varying(32) NOT NULL DEFAULT 'text', "content_attributes" jsonb NOT NULL DEFAULT '{}', "additional_attributes" jsonb NOT NULL DEFAULT '{}', "external_source_ids" jsonb NOT NULL DEFAULT '{}', "private" boolean NOT NULL DEFAULT false, "status" character varying(16) NOT NULL DEFAULT 'sent', "source_id" text, "sender_type" character varying(16), "sender_id" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_18325f38ae6de43878487eff986" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE INDEX "index_messages_on_sender_type_and_sender_id" ON "messages"  ("sender_type", "sender_id") `);
      await queryRunner.query(`CREATE INDEX "index_messages_on_account_id" ON "messages"  ("account_id") `);
      await queryRunner.query(`CREATE INDEX "index_messages_on_conversation_id_and_created_at" ON "messages"  ("conversation_id", "created_at") `);
      await queryRunner.query(`CREATE TABLE "attachments" ("id" SERIAL NOT NULL, "account_id" integer NOT NULL, "message_id" integer NOT NULL, "file_type" character varying(16) NOT NULL DEFAULT 'image', "external_url" text, "data_url" text, "thumb_url" text, "extension" character varying(32), "file_size" integer, "width" integer, "height" integer, "fallback_title" text, "coordinates_lat" double precision, "coordinates_long" double precision, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5e1f050bcff31e3084a1d662412" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE INDEX "index_attachments_on_message_id" ON "attachments"  ("message_id") `);
      await queryRunner.query(`CREATE TABLE "webhooks" ("id" SERIAL NOT NULL, "account_id" integer NOT NULL, "inbox_id" integer, "url" text NOT NULL, "name" character varying(255), "subscriptions" jsonb NOT NULL, "webhook_type" integer NOT NULL DEFAULT '0', "secret" character varying(255) NOT NULL, "enabled" boolean NOT NULL DEFAULT true, "disabled_reason" character varying(16), "failing_since" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_9e8795cfc899ab7bdaa831e8527" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE UNIQUE INDEX "index_webhooks_on_account_id_and_url" ON "webhooks"  ("account_id", "url") `);
      await queryRunner.query(`CREATE TABLE "webhook_events" ("id" BIGSERIAL NOT NULL, "account_id" integer NOT NULL, "inbox_id" integer, "event" character varying(64) NOT NULL, "subject_type" character varying(32), "subject_id" integer, "data" jsonb, "body" text, "fanned_out_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4cba37e6a0acb5e1fc49c34ebfd" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE INDEX "index_webhook_events_pending" ON "webhook_events"  ("id") WHERE fanned_out_at IS NULL`);
      await queryRunner.query(`CREATE TABLE "webhook_deliveries" ("id" uuid NOT NULL, "event_id" bigint NOT NULL, "webhook_id" integer NOT NULL, "account_id" integer NOT NULL, "event" character varying(64) NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE, "locked_until" TIMESTAMP WITH TIME ZONE, "last_attempt_at" TIMESTAMP WITH TIME ZONE, "last_status_code" integer, "last_error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "completed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_535dd409947fb6d8fc6dfc0112a" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE INDEX "index_webhook_deliveries_on_webhook_id_and_created_at" ON "webhook_deliveries"  ("webhook_id", "created_at") `);
      await queryRunner.query(`CREATE INDEX "index_webhook_deliveries_due" ON "webhook_deliveries"  ("next_attempt_at") WHERE status = 'pending'`);
      await queryRunner.query(`CREATE UNIQUE INDEX "index_webhook_deliveries_on_event_id_and_webhook_id" ON "webhook_deliveries"  ("event_id", "webhook_id") `);
      await queryRunner.query(`CREATE TABLE "webhook_attempts" ("id" BIGSERIAL NOT NULL, "delivery_id" uuid NOT NULL, "attempted_at" TIMESTAMP WITH TIME ZONE NOT NULL, "duration_ms" integer NOT NULL, "status_code" integer, "error" text, "response_body" text, "trigger" character varying(16) NOT NULL DEFAULT 'scheduled', CONSTRAINT "PK_2de7e7887ad97de459adab62638" PRIMARY KEY ("id"))`);
      await queryRunner.query(`CREATE INDEX "index_webhook_attempts_on_delivery_id" ON "webhook_attempts"  ("delivery_id") `);
      await queryRunner.query(`ALTER TABLE "access_tokens" ADD CONSTRAINT "FK_09ee750a035b06e0c7f0704687e" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "account_users" ADD CONSTRAINT "FK_a8dbedf16dd542e59bbb3b510a1" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "account_users" ADD CONSTRAINT "FK_2abc621f4b881e826437646c12f" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "contacts" ADD CONSTRAINT "FK_85bbf0f254d76347a346a8cbb15" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "inboxes" ADD CONSTRAINT "FK_40de98dbcd0c801d414575aeb2c" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "contact_inboxes" ADD CONSTRAINT "FK_4dd49819206d348ce4f3014038b" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "contact_inboxes" ADD CONSTRAINT "FK_bf1c32ec25177fc72c5f4efe53c" FOREIGN KEY ("inbox_id") REFERENCES "inboxes"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "conversations" ADD CONSTRAINT "FK_948676628b2911729a80645685d" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "conversations" ADD CONSTRAINT "FK_343470a5fe39df8f40e11213387" FOREIGN KEY ("inbox_id") REFERENCES "inboxes"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "conversations" ADD CONSTRAINT "FK_3e605129623b629ddd0583740db" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "conversations" ADD CONSTRAINT "FK_2ee56e41c8f59abf1bd763770c0" FOREIGN KEY ("contact_inbox_id") REFERENCES "contact_inboxes"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "conversations" ADD CONSTRAINT "FK_eb33c4841a61e998a8c906fbcf1" FOREIGN KEY ("assignee_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "messages" ADD CONSTRAINT "FK_d61d1bec4a104d044b6e5abd843" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "messages" ADD CONSTRAINT "FK_addaafc3983103e2db0a05a97de" FOREIGN KEY ("inbox_id") REFERENCES "inboxes"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "messages" ADD CONSTRAINT "FK_3bc55a7c3f9ed54b520bb5cfe23" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "attachments" ADD CONSTRAINT "FK_623e10eec51ada466c5038979e3" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "webhooks" ADD CONSTRAINT "FK_295b5a3ff343825baa12cfdcba0" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "webhooks" ADD CONSTRAINT "FK_f458b994ded0917053264722471" FOREIGN KEY ("inbox_id") REFERENCES "inboxes"("id") ON DELETE SET NULL ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_27d1ee90033bdafe0ffe8f1be6f" FOREIGN KEY ("event_id") REFERENCES "webhook_events"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "FK_a0286aeb96db651efd1ae2966f2" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      await queryRunner.query(`ALTER TABLE "webhook_attempts" ADD CONSTRAINT "FK_0d56d91d61b827bb2079c256538" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
      // Per-account display ids: the account row is the counter, so concurrent inserts queue on its lock.
      await queryRunner.query(`CREATE FUNCTION "conversations_assign_display_id"() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.display_id IS NULL OR NEW.display_id = 0 THEN
      UPDATE accounts SET conversation_seq = conversation_seq + 1 WHERE id = NEW.account_id
        RETURNING conversation_seq INTO NEW.display_id;
    ELSE
      UPDATE accounts SET conversation_seq = GREATEST(conversation_seq, NEW.display_id) WHERE id = NEW.account_id;
    END IF;
    RETURN NEW;
  END
  $$`);
      await queryRunner.query(`CREATE TRIGGER "conversations_display_id" BEFORE INSERT ON "conversations" FOR EACH ROW EXECUTE FUNCTION "conversations_assign_display_id"()`);
    });
  }

  public down(queryRunner: QueryRunner): Promise<void> {
    return inLibrarySchema(queryRunner, async () => {
      for (const table of ["webhook_attempts", "webhook_deliveries", "webhook_events", "webhooks", "attachments", "messages", "conversations", "contact_inboxes", "inboxes", "contacts", "agent_bots", "account_users", "accounts", "access_tokens", "users"]) {
        await queryRunner.query(`DROP TABLE "${table}" CASCADE`);
      }
      await queryRunner.query(`DROP FUNCTION "conversations_assign_display_id"()`);
    });
  }
}
