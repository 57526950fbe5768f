import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Account } from "./account";

/** A customer who talks to the account. */
@Entity({ name: "contacts" })
@Index("index_contacts_on_account_id", ["accountId"])
@Index("uniq_email_per_account_contact", ["accountId", "email"], { unique: true })
export class Contact {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: "account_id", type: "int" })
  accountId: number;

  @ManyToOne(() => Account, { onDelete: "CASCADE" })
  @JoinColumn({ name: "account_id" })
  account?: Account;

  @Column({ type: "varchar", length: 255, default: "" })
  name: string;

  @Column({ type: "varchar", length: 255, nullable: true })
  email: string | null;

  @Column({ name: "phone_number", type: "varchar", length: 64, nullable: true })
  phoneNumber: string | null;

  @Column({ type: "varchar", length: 255, nullable: true })
  identifier: string | null;

  @Column({ name: "avatar_url", type: "text", nullable: true })
  avatarUrl: string | null;

  @Column({ name: "additional_attributes", type: "jsonb", default: () => "'{}'" })
  additionalAttributes: Record<string, unknown>;

  @Column({ name: "custom_attributes", type: "jsonb", default: () => "'{}'" })
  customAttributes: Record<string, unknown>;

  @Column({ type: "boolean", default: false })
  blocked: boolean;

  @Column({ name: "last_activity_at", type: "timestamptz", nullable: true })
  lastActivityAt: Date | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
