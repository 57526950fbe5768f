import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from "typeorm";
import type { AttemptTrigger } from "../types";
import { WebhookDelivery } from "./webhook-delivery";

/** One HTTP attempt of a delivery, as the delivery log shows it. */
@Entity({ name: "webhook_attempts" })
@Index("index_webhook_attempts_on_delivery_id", ["deliveryId"])
export class WebhookAttempt {
  @PrimaryGeneratedColumn({ type: "bigint" })
  id: string;

  @Column({ name: "delivery_id", type: "uuid" })
  deliveryId: string;

  @ManyToOne(() => WebhookDelivery, { onDelete: "CASCADE" })
  @JoinColumn({ name: "delivery_id" })
  delivery?: WebhookDelivery;

  @Column({ name: "attempted_at", type: "timestamptz" })
  attemptedAt: Date;

  @Column({ name: "duration_ms", type: "int" })
  durationMs: number;

  @Column({ name: "status_code", type: "int", nullable: true })
  statusCode: number | null;

  @Column({ type: "text", nullable: true })
  error: string | null;

  /** The first 4 KB of the response body. */
  @Column({ name: "response_body", type: "text", nullable: true })
  responseBody: string | null;

  @Column({ type: "varchar", length: 16, default: "scheduled" })
  trigger: AttemptTrigger;

  /** Where the attempt ended when it followed redirects (without credentials); null when it followed none. */
  @Column({ name: "final_url", type: "text", nullable: true })
  finalUrl: string | null;
}
