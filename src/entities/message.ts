import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, OneToMany, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Account } from "./account";
import { Attachment } from "./attachment";
import { Conversation } from "./conversation";
import { Inbox } from "./inbox";

export type MessageType = "incoming" | "outgoing" | "activity" | "template";
export type MessageSenderType = "User" | "Contact" | "AgentBot";

/**
 * One message in a conversation. Saving one through TypeORM is what produces
 * `message_created` / `message_updated` webhooks.
 *
 * The sender is polymorphic, as in Chatwoot: `senderType` + `senderId` name a User, a Contact
 * or an AgentBot (or nothing, for system messages).
 */
@Entity({ name: "messages" })
@Index("index_messages_on_conversation_id_and_created_at", ["conversationId", "createdAt"])
// For the unread count of conversation payloads (incoming messages only; see its migration).
@Index("index_messages_incoming_on_conversation_id_and_created_at", ["conversationId", "createdAt"], { where: "message_type = 'incoming'" })
@Index("index_messages_on_account_id", ["accountId"])
@Index("index_messages_on_sender_type_and_sender_id", ["senderType", "senderId"])
export class Message {
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

  @Column({ name: "conversation_id", type: "int" })
  conversationId: number;

  @ManyToOne(() => Conversation, { onDelete: "CASCADE" })
  @JoinColumn({ name: "conversation_id" })
  conversation?: Conversation;

  @Column({ type: "text", nullable: true })
  content: string | null;

  @Column({ name: "message_type", type: "varchar", length: 16, default: "outgoing" })
  messageType: MessageType;

  @Column({ name: "content_type", type: "varchar", length: 32, default: "text" })
  contentType: string;

  @Column({ name: "content_attributes", type: "jsonb", default: () => "'{}'" })
  contentAttributes: Record<string, unknown>;

  @Column({ name: "additional_attributes", type: "jsonb", default: () => "'{}'" })
  additionalAttributes: Record<string, unknown>;

  @Column({ name: "external_source_ids", type: "jsonb", default: () => "'{}'" })
  externalSourceIds: Record<string, unknown>;

  @Column({ type: "boolean", default: false })
  private: boolean;

  /** `sent`, `delivered`, `read` or `failed`. */
  @Column({ type: "varchar", length: 16, default: "sent" })
  status: string;

  @Column({ name: "source_id", type: "text", nullable: true })
  sourceId: string | null;

  @Column({ name: "sender_type", type: "varchar", length: 16, nullable: true })
  senderType: MessageSenderType | null;

  @Column({ name: "sender_id", type: "int", nullable: true })
  senderId: number | null;

  @OneToMany(() => Attachment, (attachment) => attachment.message)
  attachments?: Attachment[];

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
