import { BeforeInsert, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { generateSecret, RANDOM_TOKEN } from "../security/secret";
import { Account } from "./account";
import { SecretRotation } from "./secret-rotation";

/**
 * Chatwoot's API channel (`Channel::Api`): an inbox whose `channel_type` is `Channel::Api` and
 * whose `channel_id` is this row's id. Every conversation, message, typing and widget event of
 * that inbox is posted to `webhookUrl`, signed with `secret`. `hmacToken` and `identifier` are
 * the channel's own (for the host's inbound API); they are generated like the secret.
 */
@Entity({ name: "channel_api" })
@Index("index_channel_api_on_identifier", ["identifier"], { unique: true })
@Index("index_channel_api_on_hmac_token", ["hmacToken"], { unique: true })
export class ChannelApi {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: "PK_channel_api" })
  id: number;

  @Column({ name: "account_id", type: "int" })
  accountId: number;

  @ManyToOne(() => Account, { onDelete: "CASCADE" })
  @JoinColumn({ name: "account_id", foreignKeyConstraintName: "FK_channel_api_account" })
  account?: Account;

  /** Where the inbox's events go; empty or null sends nothing. */
  @Column({ name: "webhook_url", type: "text", nullable: true })
  webhookUrl: string | null;

  /** Signing key of the inbox's webhook deliveries. */
  @Column({ type: "varchar", length: 255, default: () => RANDOM_TOKEN })
  secret: string;

  /** The secret's last rotation and the previous secret while it overlaps (see `SecretRotation`). */
  @Column(() => SecretRotation, { prefix: false })
  rotation: SecretRotation;

  @Column({ name: "hmac_token", type: "varchar", length: 255, default: () => RANDOM_TOKEN })
  hmacToken: string;

  @Column({ name: "hmac_mandatory", type: "boolean", default: false })
  hmacMandatory: boolean;

  @Column({ type: "varchar", length: 255, default: () => RANDOM_TOKEN })
  identifier: string;

  @Column({ name: "additional_attributes", type: "jsonb", default: () => "'{}'" })
  additionalAttributes: Record<string, unknown>;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;

  @BeforeInsert()
  generateTokens(): void {
    this.secret ??= generateSecret();
    this.hmacToken ??= generateSecret();
    this.identifier ??= generateSecret();
  }
}
