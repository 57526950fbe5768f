import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from "typeorm";
import { AgentBot } from "./agent-bot";
import { User } from "./user";

/**
 * An API access token, sent as the `api_access_token` header. It belongs to a user or to an
 * agent bot (exactly one of `userId` and `agentBotId`), as Chatwoot's polymorphic owner.
 */
@Entity({ name: "access_tokens" })
@Check("CHK_access_tokens_one_owner", `("user_id" IS NULL) <> ("agent_bot_id" IS NULL)`)
@Index("index_access_tokens_on_agent_bot_id", ["agentBotId"], { unique: true, where: `"agent_bot_id" IS NOT NULL` })
export class AccessToken {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: "user_id", type: "int", nullable: true })
  userId: number | null;

  @ManyToOne(() => User, { onDelete: "CASCADE" })
  @JoinColumn({ name: "user_id" })
  user?: User;

  @Column({ name: "agent_bot_id", type: "int", nullable: true })
  agentBotId: number | null;

  @ManyToOne(() => AgentBot, { onDelete: "CASCADE" })
  @JoinColumn({ name: "agent_bot_id", foreignKeyConstraintName: "FK_access_tokens_agent_bot" })
  agentBot?: AgentBot | null;

  @Column({ type: "varchar", length: 255, unique: true })
  token: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;
}
