import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Account } from "./account";
import { AgentBot } from "./agent-bot";
import { Inbox } from "./inbox";
import { SecretRotation } from "./secret-rotation";

/** Why a webhook was switched off: by a person, by a `410 Gone`, or after failing for too long. */
export type WebhookDisabledReason = "manual" | "gone" | "failing";

/** An account's outgoing webhook (Chatwoot's `webhooks` table, plus `enabled`). */
@Entity({ name: "webhooks" })
// Mirror rows of the other two kinds are kept by triggers (see the 1795900000000 migration).
@Index("index_webhooks_on_account_id_and_url", ["accountId", "url"], { unique: true, where: `"webhook_type" = 0` })
@Index("index_webhooks_inbox_type", ["inboxId"], { unique: true, where: `"webhook_type" = 1` })
@Index("index_webhooks_agent_bot_type", ["inboxId", "agentBotId"], { unique: true, where: `"webhook_type" = 2` })
export class Webhook {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: "account_id", type: "int" })
  accountId: number;

  @ManyToOne(() => Account, { onDelete: "CASCADE" })
  @JoinColumn({ name: "account_id" })
  account?: Account;

  /** When set, only this inbox's conversation and message events are delivered. */
  @Column({ name: "inbox_id", type: "int", nullable: true })
  inboxId: number | null;

  @ManyToOne(() => Inbox, { onDelete: "SET NULL" })
  @JoinColumn({ name: "inbox_id" })
  inbox?: Inbox | null;

  @Column({ type: "text" })
  url: string;

  @Column({ type: "varchar", length: 255, nullable: true })
  name: string | null;

  @Column({ type: "jsonb" })
  subscriptions: string[];

  /**
   * 0 = account webhook (the management API's), 1 = an API-channel inbox's `webhook_url`,
   * 2 = an agent bot's `outgoing_url` for one connected inbox. Rows of kinds 1 and 2 mirror
   * `channel_api` and `agent_bots` and are written only by the database's triggers.
   */
  @Column({ name: "webhook_type", type: "int", default: 0 })
  webhookType: number;

  /** For kind 2, the agent bot. */
  @Column({ name: "agent_bot_id", type: "int", nullable: true })
  agentBotId: number | null;

  @ManyToOne(() => AgentBot, { onDelete: "CASCADE" })
  @JoinColumn({ name: "agent_bot_id", foreignKeyConstraintName: "FK_webhooks_agent_bot" })
  agentBot?: AgentBot | null;

  /** Signing key; generated on create and never taken from a client. */
  @Column({ type: "varchar", length: 255 })
  secret: string;

  /** The secret's last rotation and the previous secret while it overlaps (see `SecretRotation`). */
  @Column(() => SecretRotation, { prefix: false })
  rotation: SecretRotation;

  @Column({ type: "boolean", default: true })
  enabled: boolean;

  @Column({ name: "disabled_reason", type: "varchar", length: 16, nullable: true })
  disabledReason: WebhookDisabledReason | null;

  /** Deliver the events of one conversation (or contact) in order, each after the previous one ended. */
  @Column({ type: "boolean", default: false })
  ordered: boolean;

  /** Start of the current run of failures without a success; null while healthy. */
  @Column({ name: "failing_since", type: "timestamptz", nullable: true })
  failingSince: Date | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
