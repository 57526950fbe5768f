import { actorWebhookData } from "./actor";
import type { ConversationPayload } from "./conversation";
import type { Actor } from "./rows";

/** `conversation_typing_on` / `conversation_typing_off`: `{event, user, conversation, is_private}`. */
export function typingEventBody(
  event: "conversation_typing_on" | "conversation_typing_off",
  user: Actor | null,
  conversation: ConversationPayload,
  isPrivate: boolean,
) {
  return { event, user: actorWebhookData(user), conversation, is_private: isPrivate };
}
