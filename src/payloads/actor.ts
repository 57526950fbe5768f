import { agentBotPushData, agentBotWebhookData } from "./agent-bot";
import { contactPushData, contactWebhookData } from "./contact";
import type { Actor } from "./rows";
import { userPushData, userWebhookData } from "./user";

/** A message sender or typing user in webhook form (`sender.try(:webhook_data)`): null when none. */
export function actorWebhookData(actor: Actor | null) {
  if (!actor) return null;
  switch (actor.type) {
    case "User":
      return userWebhookData(actor.user);
    case "Contact":
      return contactWebhookData(actor.contact, actor.account);
    case "AgentBot":
      return agentBotWebhookData(actor.agentBot);
  }
}

/** A sender in "push" form, as inside `conversation.messages[]`. */
export function actorPushData(actor: Actor) {
  switch (actor.type) {
    case "User":
      return userPushData(actor.user);
    case "Contact":
      return contactPushData(actor.contact);
    case "AgentBot":
      return agentBotPushData(actor.agentBot);
  }
}
