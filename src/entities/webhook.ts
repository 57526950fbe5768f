import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Account } from "./account";
import { Inbox } from "./inbox";

/** Why a webhook was switched off: by a person, by a `410 Gone`, or after failing for too long. */
export type WebhookDisabledReason = "manual" | "gone" | "failing";

/** An account's outgoing webhook (Chatwoot's `webhooks` table, plus `enabled`). */
@Entity({ name: "webhooks" })
@Index("index_webhooks_on_account_id_and_url", ["accountId", "url"], { unique: true })
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

  /** 0 = account webhook (receives deliveries), 1 = inbox webhook (Chatwoot's API channel). */
  @Column({ name: "webhook_type", type: "int", default: 0 })
  webhookType: number;

  /** Signing key; generated on create and never taken from a client. */
  @Column({ type: "varchar", length: 255 })
  secret: string;

  @Column({ type: "boolean", default: true })
  enabled: boolean;

  @Column({ name: "disabled_reason", type: "varchar", length: 16, nullable: true })
  disabledReason: WebhookDisabledReason | null;

  /** Start of the current run of failures without a success; null while healthy. */
  @Column({ name: "failing_since", type: "timestamptz", nullable: true })
  failingSince: Date | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
