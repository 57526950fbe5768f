import type { AgentBot } from "../entities";

/**
 * An agent bot as Chatwoot's API shows it to an account's administrator, keys in Chatwoot's
 * order. A system bot (no account) shows neither its URL, nor its token, nor its secret: they
 * are not the account's to see.
 */
export function agentBotJson(bot: AgentBot, accessToken: string | null) {
  const system = bot.accountId === null;
  return {
    id: bot.id,
    name: bot.name,
    description: bot.description,
    thumbnail: bot.avatarUrl ?? "",
    ...(system ? {} : { outgoing_url: bot.outgoingUrl }),
    bot_type: bot.botType === 0 ? "webhook" : String(bot.botType),
    bot_config: bot.botConfig ?? {},
    account_id: bot.accountId,
    ...(system || accessToken === null ? {} : { access_token: accessToken }),
    ...(system ? {} : { secret: bot.secret }),
    system_bot: system,
  };
}
