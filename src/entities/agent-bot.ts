import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from "typeorm";

/** An automated sender of messages. `accountId` null means a bot shared by all accounts. */
@Entity({ name: "agent_bots" })
export class AgentBot {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: "account_id", type: "int", nullable: true })
  accountId: number | null;

  @Column({ type: "varchar", length: 255 })
  name: string;

  @Column({ name: "avatar_url", type: "text", nullable: true })
  avatarUrl: string | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @UpdateDateColumn({ name: "updated_at", type: "timestamptz" })
  updatedAt: Date;
}
