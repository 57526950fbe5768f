import type { ChangedAttributes } from "../types";

/**
 * Conversation columns whose change is a `conversation_updated`: Chatwoot's `list_of_keys`
 * (app/models/conversation.rb), labels under its name `label_list` (see changedAttributes).
 */
const WATCHED = new Set(["team_id", "assignee_id", "assignee_agent_bot_id", "status", "snoozed_until", "custom_attributes", "label_list", "waiting_since", "first_reply_created_at", "priority"]);

/**
 * Whether a conversation save is a `conversation_updated`, as Chatwoot's `allowed_keys?` decides:
 * a watched column changed, or `additional_attributes` changed and now holds a
 * `conversation_language` key (Chatwoot looks at the new hash's keys, not at that key's value, so
 * any change of the attributes of a conversation with a language counts).
 */
export function firesConversationUpdated(changes: ChangedAttributes): boolean {
  return changes.some((change) => {
    const [name] = Object.keys(change);
    if (WATCHED.has(name)) return true;
    if (name !== "additional_attributes") return false;
    const current = (change[name] as { current_value?: unknown }).current_value;
    return typeof current === "object" && current !== null && !Array.isArray(current) && Object.prototype.hasOwnProperty.call(current, "conversation_language");
  });
}
