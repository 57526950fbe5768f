import { BeforeInsert, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { generateSecret, RANDOM_TOKEN } from "../security/secret";
import { Account } from "./account";
import { SecretRotation } from "./secret-rotation";

/**
 * An automated sender of messages (Chatwoot's `AgentBot`). `accountId` null means a bot shared by
 * all accounts (a system bot). A webhook bot (`botType` 0) with an `outgoingUrl` receives the
 * events of the inboxes it is connected to (see `AgentBotInbox`), signed with `secret`, and
 * answers through the host's API with its own access token (an `AccessToken` with `agentBotId`).
 */
@Entity({ name: "agent_bots" })
@Index("index_agent_bots_on_account_id", ["accountId"])
export class AgentBot {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: "account_id", type: "int", nullable: true })
  accountId: number | null;

  @ManyToOne(() => Account, { onDelete: "CASCADE" })
  @JoinColumn({ name: "account_id", foreignKeyConstraintName: "FK_agent_bots_account" })
  account?: Account | null;

  @Column({ type: "varchar", length: 255 })
  name: string;

  @Column({ type: "text", nullable: true })
  description: string | null;

  @Column({ name: "avatar_url", type: "text", nullable: true })
  avatarUrl: string | null;

  /** Where the bot's events go; empty or null sends nothing. */
  @Column({ name: "outgoing_url", type: "text", nullable: true })
  outgoingUrl: string | null;

  /** 0 = webhook (the only kind delivered to; Chatwoot's `bot_type` enum). */
  @Column({ name: "bot_type", type: "int", default: 0 })
  botType: number;

  @Column({ name: "bot_config", type: "jsonb", default: () => "'{}'" })
  botConfig: Record<string, unknown>;

  /** Signing key of the bot's webhook deliveries. */
  @Column({ type: "varchar", length: 255, default: () => RANDOM_TOKEN })
  secret: string;

  /** The secret's last rotation and the previous secret while it overlaps (see `SecretRotation`). */
  @Column(() => SecretRotation, { prefix: false })
  rotation: SecretRotation;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;

  @BeforeInsert()
  assignSecret(): void {
    this.secret ??= generateSecret();
  }
}
