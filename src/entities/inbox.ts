import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Account } from "./account";

/** A channel through which conversations arrive (web widget, email, API, ...). */
@Entity({ name: "inboxes" })
@Index("index_inboxes_on_account_id", ["accountId"])
@Index("index_inboxes_on_channel_id_and_channel_type", ["channelId", "channelType"])
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

  /** The channel row (for `Channel::Api`, a `ChannelApi` id), as Chatwoot's polymorphic channel. */
  @Column({ name: "channel_id", type: "int", nullable: true })
  channelId: number | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
