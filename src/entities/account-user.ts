import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from "typeorm";
import { Account } from "./account";
import { User } from "./user";

/** The role a user holds in an account. Only administrators may manage webhooks. */
export type AccountRole = "administrator" | "agent";

/** Membership of a user in an account, with a role. */
@Entity({ name: "account_users" })
@Index("index_account_users_on_account_id_and_user_id", ["accountId", "userId"], { unique: true })
export class AccountUser {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: "account_id", type: "int" })
  accountId: number;

  @ManyToOne(() => Account, { onDelete: "CASCADE" })
  @JoinColumn({ name: "account_id" })
  account?: Account;

  @Column({ name: "user_id", type: "int" })
  userId: number;

  @ManyToOne(() => User, { onDelete: "CASCADE" })
  @JoinColumn({ name: "user_id" })
  user?: User;

  @Column({ type: "varchar", length: 20, default: "agent" })
  role: AccountRole;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;
}
