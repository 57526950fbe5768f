import type { AgentBotRow } from "./rows";

/** Chatwoot's `AgentBot#webhook_data`. */
export function agentBotWebhookData(bot: AgentBotRow) {
  return { id: bot.id, name: bot.name, type: "agent_bot" as const };
}

/** Chatwoot's `AgentBot#push_event_data` (its avatar, "" when none). */
export function agentBotPushData(bot: AgentBotRow) {
  return { id: bot.id, name: bot.name, avatar_url: bot.avatarUrl ?? "", type: "agent_bot" as const };
}
