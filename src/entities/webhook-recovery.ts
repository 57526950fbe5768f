import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from "typeorm";
import { Account } from "./account";

/** Whose failed deliveries a recovery reschedules: an account webhook, an API inbox or an agent bot. */
export type RecoveryOwnerKind = "webhook" | "inbox" | "agent_bot";

/** `running` until its last batch; `finished` after. */
export type RecoveryState = "running" | "finished";

/**
 * A bulk recovery: every `failed` delivery of one owner created in `[since, until]` made due again,
 * a batch at a time. The row is the whole state (cursor, counts, lease), so whichever process
 * looks next resumes a recovery its process left behind. At most one runs per owner.
 */
@Entity({ name: "webhook_recoveries" })
@Index("index_webhook_recoveries_running", ["accountId", "ownerKind", "ownerId"], { unique: true, where: "state = 'running'" })
@Index("index_webhook_recoveries_on_owner", ["accountId", "ownerKind", "ownerId", "id"])
export class WebhookRecovery {
  @PrimaryGeneratedColumn({ type: "bigint" })
  id: string;

  @Column({ name: "account_id", type: "int" })
  accountId: number;

  @ManyToOne(() => Account, { onDelete: "CASCADE" })
  @JoinColumn({ name: "account_id", foreignKeyConstraintName: "FK_webhook_recoveries_account" })
  account?: Account;

  @Column({ name: "owner_kind", type: "varchar", length: 16 })
  ownerKind: RecoveryOwnerKind;

  /** The webhook id, inbox id or agent bot id the route named. */
  @Column({ name: "owner_id", type: "int" })
  ownerId: number;

  /** The `webhooks` rows behind the owner when it started (an agent bot has one per inbox), ascending. */
  @Column({ name: "webhook_ids", type: "int", array: true })
  webhookIds: number[];

  @Column({ type: "timestamptz" })
  since: Date;

  @Column({ type: "timestamptz" })
  until: Date;

  @Column({ type: "varchar", length: 16, default: "running" })
  state: RecoveryState;

  /** Failed deliveries in the range when it started (raised if more were found on the way). */
  @Column({ type: "int", default: 0 })
  total: number;

  /** Deliveries made due so far. */
  @Column({ type: "int", default: 0 })
  done: number;

  @Column({ type: "int", default: 0 })
  batches: number;

  /** Where the next batch starts: after this (webhook, created_at, id). */
  @Column({ name: "cursor_webhook_id", type: "int", nullable: true })
  cursorWebhookId: number | null;

  @Column({ name: "cursor_created_at", type: "timestamptz", nullable: true })
  cursorCreatedAt: Date | null;

  @Column({ name: "cursor_id", type: "uuid", nullable: true })
  cursorId: string | null;

  /** Lease: while in the future, the process that holds `locked_by` runs its batches. */
  @Column({ name: "locked_until", type: "timestamptz", nullable: true })
  lockedUntil: Date | null;

  @Column({ name: "locked_by", type: "uuid", nullable: true })
  lockedBy: string | null;

  /** The user who asked, when the caller is a user. */
  @Column({ name: "requested_by", type: "int", nullable: true })
  requestedBy: number | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @Column({ name: "updated_at", type: "timestamptz", nullable: true })
  updatedAt: Date | null;

  @Column({ name: "finished_at", type: "timestamptz", nullable: true })
  finishedAt: Date | null;
}
