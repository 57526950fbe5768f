import type { DataSource, EntityManager } from "typeorm";
import { AccessToken, AgentBot } from "../entities";

/** The bots an account may see and connect: its own and the system bots (no account), oldest first. */
export function listAgentBots(dataSource: DataSource, accountId: number): Promise<AgentBot[]> {
  return dataSource
    .createQueryBuilder(AgentBot, "bot")
    .where("bot.accountId = :accountId OR bot.accountId IS NULL", { accountId })
    .orderBy("bot.id", "ASC")
    .getMany();
}

/** One bot the account may see (`own`: only its own, as updates and deletes need), or null. */
export function findAgentBot(manager: DataSource | EntityManager, accountId: number, id: number, scope: "own" | "visible"): Promise<AgentBot | null> {
  const query = manager.createQueryBuilder(AgentBot, "bot").where("bot.id = :id", { id });
  if (scope === "own") query.andWhere("bot.accountId = :accountId", { accountId });
  else query.andWhere("(bot.accountId = :accountId OR bot.accountId IS NULL)", { accountId });
  return query.getOne();
}

/** The access tokens of these bots, by bot id. */
export async function botTokens(dataSource: DataSource, botIds: number[]): Promise<Map<number, string>> {
  if (botIds.length === 0) return new Map();
  const rows = await dataSource.createQueryBuilder(AccessToken, "token").where("token.agentBotId = ANY(:botIds)", { botIds }).getMany();
  return new Map(rows.map((row) => [row.agentBotId as number, row.token]));
}
