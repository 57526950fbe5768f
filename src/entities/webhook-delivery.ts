import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from "typeorm";
import type { DeliveryStatus } from "../types";
import { Webhook } from "./webhook";
import { WebhookEvent } from "./webhook-event";

/**
 * One event to one webhook. Its id is the `X-Chatwoot-Delivery` / `webhook-id` header, the same
 * on every attempt. Claimed by a dispatcher with a lease (`locked_until`).
 */
@Entity({ name: "webhook_deliveries" })
@Index("index_webhook_deliveries_on_event_id_and_webhook_id", ["eventId", "webhookId"], { unique: true })
// What claims read: pending deliveries of enabled webhooks (see `parked`).
@Index("index_webhook_deliveries_due", ["nextAttemptAt"], { where: "status = 'pending' AND NOT parked" })
@Index("index_webhook_deliveries_on_webhook_id_and_created_at", ["webhookId", "createdAt"])
// What a bulk recovery walks, a batch at a time, and counts: one webhook's failed deliveries by creation.
@Index("index_webhook_deliveries_failed", ["webhookId", "createdAt", "id"], { where: "status = 'failed'" })
@Index("index_webhook_deliveries_pending_in_order", ["webhookId", "orderingKey", "eventId"], { where: "status = 'pending' AND ordering_key IS NOT NULL" })
export class WebhookDelivery {
  @PrimaryColumn({ type: "uuid" })
  id: string;

  @Column({ name: "event_id", type: "bigint" })
  eventId: string;

  @ManyToOne(() => WebhookEvent, { onDelete: "CASCADE" })
  @JoinColumn({ name: "event_id" })
  webhookEvent?: WebhookEvent;

  @Column({ name: "webhook_id", type: "int" })
  webhookId: number;

  @ManyToOne(() => Webhook, { onDelete: "CASCADE" })
  @JoinColumn({ name: "webhook_id" })
  webhook?: Webhook;

  @Column({ name: "account_id", type: "int" })
  accountId: number;

  @Column({ type: "varchar", length: 64 })
  event: string;

  @Column({ type: "varchar", length: 16, default: "pending" })
  status: DeliveryStatus;

  @Column({ type: "int", default: 0 })
  attempts: number;

  @Column({ name: "next_attempt_at", type: "timestamptz", nullable: true })
  nextAttemptAt: Date | null;

  /**
   * Pending, but its webhook is disabled: left out of claims until it is enabled again. Kept by
   * a trigger on `webhooks.enabled`; the schedule (`next_attempt_at`) stays as it was.
   */
  @Column({ type: "boolean", default: false })
  parked: boolean;

  /** Lease: while in the future, a dispatcher is attempting this delivery. */
  /** For an ordered webhook: what its order is kept within (`conversation:<id>`, `contact:<id>`); null otherwise. */
  @Column({ name: "ordering_key", type: "varchar", length: 64, nullable: true })
  orderingKey: string | null;

  @Column({ name: "locked_until", type: "timestamptz", nullable: true })
  lockedUntil: Date | null;

  @Column({ name: "last_attempt_at", type: "timestamptz", nullable: true })
  lastAttemptAt: Date | null;

  @Column({ name: "last_status_code", type: "int", nullable: true })
  lastStatusCode: number | null;

  @Column({ name: "last_error", type: "text", nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @Column({ name: "completed_at", type: "timestamptz", nullable: true })
  completedAt: Date | null;
}
