import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Contact } from "./contact";
import { Inbox } from "./inbox";

/** A contact's identity in one inbox (`source_id`: widget session, email address, phone...). */
@Entity({ name: "contact_inboxes" })
@Index("index_contact_inboxes_on_inbox_id_and_source_id", ["inboxId", "sourceId"], { unique: true })
@Index("index_contact_inboxes_on_contact_id", ["contactId"])
export class ContactInbox {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: "contact_id", type: "int" })
  contactId: number;

  @ManyToOne(() => Contact, { onDelete: "CASCADE" })
  @JoinColumn({ name: "contact_id" })
  contact?: Contact;

  @Column({ name: "inbox_id", type: "int" })
  inboxId: number;

  @ManyToOne(() => Inbox, { onDelete: "CASCADE" })
  @JoinColumn({ name: "inbox_id" })
  inbox?: Inbox;

  @Column({ name: "source_id", type: "text" })
  sourceId: string;

  @Column({ name: "hmac_verified", type: "boolean", default: false })
  hmacVerified: boolean;

  @Column({ name: "pubsub_token", type: "varchar", length: 64, nullable: true, unique: true })
  pubsubToken: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
