import { BeforeInsert, BeforeUpdate, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Account } from "./account";
import { AgentBot } from "./agent-bot";
import { Contact } from "./contact";
import { ContactInbox } from "./contact-inbox";
import { Inbox } from "./inbox";
import { Team } from "./team";
import { User } from "./user";

export type ConversationStatus = "open" | "resolved" | "pending" | "snoozed";
export type ConversationPriority = "low" | "medium" | "high" | "urgent";

/**
 * A thread between a contact and the account in one inbox.
 *
 * `displayId` is the per-account number shown to people (Chatwoot's `display_id`); the database
 * assigns it on insert when left unset.
 */
@Entity({ name: "conversations" })
@Index("index_conversations_on_account_id_and_display_id", ["accountId", "displayId"], { unique: true })
@Index("index_conversations_on_inbox_id", ["inboxId"])
@Index("index_conversations_on_contact_id", ["contactId"])
@Index("index_conversations_on_team_id", ["teamId"])
export class Conversation {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: "account_id", type: "int" })
  accountId: number;

  @ManyToOne(() => Account, { onDelete: "CASCADE" })
  @JoinColumn({ name: "account_id" })
  account?: Account;

  @Column({ name: "inbox_id", type: "int" })
  inboxId: number;

  @ManyToOne(() => Inbox, { onDelete: "CASCADE" })
  @JoinColumn({ name: "inbox_id" })
  inbox?: Inbox;

  @Column({ name: "contact_id", type: "int" })
  contactId: number;

  @ManyToOne(() => Contact, { onDelete: "CASCADE" })
  @JoinColumn({ name: "contact_id" })
  contact?: Contact;

  @Column({ name: "contact_inbox_id", type: "int", nullable: true })
  contactInboxId: number | null;

  @ManyToOne(() => ContactInbox, { onDelete: "SET NULL" })
  @JoinColumn({ name: "contact_inbox_id" })
  contactInbox?: ContactInbox | null;

  /** Per-account number; 0 or unset on insert means "assign the next one". */
  @Column({ name: "display_id", type: "int", default: 0 })
  displayId: number;

  @Column({ type: "varchar", length: 16, default: "open" })
  status: ConversationStatus;

  @Column({ type: "varchar", length: 16, nullable: true })
  priority: ConversationPriority | null;

  @Column({ name: "assignee_id", type: "int", nullable: true })
  assigneeId: number | null;

  @ManyToOne(() => User, { onDelete: "SET NULL" })
  @JoinColumn({ name: "assignee_id" })
  assignee?: User | null;

  /**
   * An agent bot the conversation is assigned to instead of a user (Chatwoot's
   * `assignee_agent_bot_id`): payloads show it as `meta.assignee` with `assignee_type: "AgentBot"`.
   * Saving the entity with a user assignee clears it, as Chatwoot does.
   */
  @Column({ name: "assignee_agent_bot_id", type: "int", nullable: true })
  assigneeAgentBotId: number | null;

  @ManyToOne(() => AgentBot, { onDelete: "SET NULL" })
  @JoinColumn({ name: "assignee_agent_bot_id", foreignKeyConstraintName: "FK_conversations_assignee_agent_bot" })
  assigneeAgentBot?: AgentBot | null;

  @Column({ name: "team_id", type: "int", nullable: true })
  teamId: number | null;

  /** Deleting a team leaves its conversations without one, as Chatwoot's `dependent: :nullify`. */
  @ManyToOne(() => Team, { onDelete: "SET NULL" })
  @JoinColumn({ name: "team_id", foreignKeyConstraintName: "FK_conversations_team" })
  team?: Team | null;

  @Column({ name: "additional_attributes", type: "jsonb", default: () => "'{}'" })
  additionalAttributes: Record<string, unknown>;

  @Column({ name: "custom_attributes", type: "jsonb", default: () => "'{}'" })
  customAttributes: Record<string, unknown>;

  @Column({ type: "text", array: true, default: () => "'{}'" })
  labels: string[];

  @Column({ name: "snoozed_until", type: "timestamptz", nullable: true })
  snoozedUntil: Date | null;

  /** Since when the customer waits for a reply; the creation time by default, as in Chatwoot. */
  @Column({ name: "waiting_since", type: "timestamptz", nullable: true, default: () => "now()" })
  waitingSince: Date | null;

  @Column({ name: "first_reply_created_at", type: "timestamptz", nullable: true })
  firstReplyCreatedAt: Date | null;

  @Column({ name: "agent_last_seen_at", type: "timestamptz", nullable: true })
  agentLastSeenAt: Date | null;

  @Column({ name: "contact_last_seen_at", type: "timestamptz", nullable: true })
  contactLastSeenAt: Date | null;

  @Column({ name: "last_activity_at", type: "timestamptz", default: () => "now()" })
  lastActivityAt: Date;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;

  /** Chatwoot's `reset_agent_bot_when_assignee_present`: a user assignee replaces a bot one. */
  @BeforeInsert()
  @BeforeUpdate()
  resetAgentBotWhenAssigneePresent(): void {
    if (this.assigneeId != null) this.assigneeAgentBotId = null;
  }
}
