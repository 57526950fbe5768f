import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from "typeorm";

/**
 * The outbox: one row per event, written in the same transaction as the change that caused it.
 * The dispatcher later fans it out to webhooks and freezes the payload bytes in `body`.
 */
@Entity({ name: "webhook_events" })
@Index("index_webhook_events_pending", ["id"], { where: "fanned_out_at IS NULL" })
export class WebhookEvent {
  @PrimaryGeneratedColumn({ type: "bigint" })
  id: string;

  @Column({ name: "account_id", type: "int" })
  accountId: number;

  @Column({ name: "inbox_id", type: "int", nullable: true })
  inboxId: number | null;

  @Column({ type: "varchar", length: 64 })
  event: string;

  /** `Message`, `Conversation`, `Contact`, `Inbox`, or null for events without a row. */
  @Column({ name: "subject_type", type: "varchar", length: 32, nullable: true })
  subjectType: string | null;

  @Column({ name: "subject_id", type: "int", nullable: true })
  subjectId: number | null;

  /**
   * What the row alone cannot tell later: `changed_attributes`, a typing user, widget info.
   * `json`, not `jsonb`: the keys keep the order they are sent in.
   */
  @Column({ type: "json", nullable: true })
  data: Record<string, unknown> | null;

  /** The exact JSON sent to every webhook, frozen at fan-out. */
  @Column({ type: "text", nullable: true })
  body: string | null;

  @Column({ name: "fanned_out_at", type: "timestamptz", nullable: true })
  fannedOutAt: Date | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;
}
