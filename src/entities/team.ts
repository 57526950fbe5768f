import { BeforeInsert, BeforeUpdate, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";
import { Account } from "./account";

/**
 * A group of agents conversations can be handed to (Chatwoot's `Team`); a conversation's
 * `teamId` names one, and payloads show it as `meta.team` `{id, name}`.
 */
@Entity({ name: "teams" })
@Index("index_teams_on_account_id", ["accountId"])
@Index("index_teams_on_name_and_account_id", ["name", "accountId"], { unique: true })
export class Team {
  @PrimaryGeneratedColumn({ primaryKeyConstraintName: "PK_teams" })
  id: number;

  @Column({ type: "varchar", length: 255 })
  name: string;

  @Column({ type: "text", nullable: true })
  description: string | null;

  @Column({ name: "allow_auto_assign", type: "boolean", default: true })
  allowAutoAssign: boolean;

  @Column({ name: "account_id", type: "int" })
  accountId: number;

  @ManyToOne(() => Account, { onDelete: "CASCADE" })
  @JoinColumn({ name: "account_id", foreignKeyConstraintName: "FK_teams_account" })
  account?: Account;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;

  /** Chatwoot keeps team names in lower case (its model lower-cases them before validation). */
  @BeforeInsert()
  @BeforeUpdate()
  lowerCaseName(): void {
    if (typeof this.name === "string") this.name = this.name.toLowerCase();
  }
}
