import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Account } from "./account";

/** A channel through which conversations arrive (web widget, email, API, ...). */
@Entity({ name: "inboxes" })
@Index("index_inboxes_on_account_id", ["accountId"])
export class Inbox {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: "account_id", type: "int" })
  accountId: number;

  @ManyToOne(() => Account, { onDelete: "CASCADE" })
  @JoinColumn({ name: "account_id" })
  account?: Account;

  @Column({ type: "varchar", length: 255 })
  name: string;

  /** Chatwoot's channel class name, e.g. `Channel::WebWidget`, `Channel::Api`, `Channel::Email`. */
  @Column({ name: "channel_type", type: "varchar", length: 64 })
  channelType: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
