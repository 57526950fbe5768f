import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Account } from "./account";
import { AgentBot } from "./agent-bot";
import { Inbox } from "./inbox";

/** Chatwoot's agent-bot inbox statuses: only an active connection receives events. */
export const AGENT_BOT_INBOX_STATUS = { active: 0, inactive: 1 } as const;

/** An agent bot connected to an inbox (at most one bot per inbox, as in Chatwoot). */
@Entity({ name: "agent_bot_inboxes" })
@Index("index_agent_bot_inboxes_on_inbox_id", ["inboxId"], { unique: true })
@Index("index_agent_bot_inboxes_on_agent_bot_id", ["agentBotId"])
export class AgentBotInbox {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: "PK_agent_bot_inboxes" })
  id: number;

  @Column({ name: "inbox_id", type: "int" })
  inboxId: number;

  @ManyToOne(() => Inbox, { onDelete: "CASCADE" })
  @JoinColumn({ name: "inbox_id", foreignKeyConstraintName: "FK_agent_bot_inboxes_inbox" })
  inbox?: Inbox;

  @Column({ name: "agent_bot_id", type: "int" })
  agentBotId: number;

  @ManyToOne(() => AgentBot, { onDelete: "CASCADE" })
  @JoinColumn({ name: "agent_bot_id", foreignKeyConstraintName: "FK_agent_bot_inboxes_agent_bot" })
  agentBot?: AgentBot;

  @Column({ name: "account_id", type: "int" })
  accountId: number;

  @ManyToOne(() => Account, { onDelete: "CASCADE" })
  @JoinColumn({ name: "account_id", foreignKeyConstraintName: "FK_agent_bot_inboxes_account" })
  account?: Account;

  /** 0 active, 1 inactive ({@link AGENT_BOT_INBOX_STATUS}). */
  @Column({ type: "int", default: 0 })
  status: number;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
