import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

/** A tenant. Every webhook, inbox, contact and conversation belongs to one account. */
@Entity({ name: "accounts" })
export class Account {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: "varchar", length: 255 })
  name: string;

  /** Last conversation display id handed out; advanced by a trigger on `conversations`. */
  @Column({ name: "conversation_seq", type: "int", default: 0, select: false, insert: false, update: false })
  conversationSeq: number;

  /** Account settings; `keep_pending_on_bot_failure: true` keeps a pending conversation pending when its agent bot fails. */
  @Column({ type: "jsonb", default: () => "'{}'" })
  settings: Record<string, unknown>;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
