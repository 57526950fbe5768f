import { quoteIdentifier, type Tables } from "../../tables";

/**
 * Chatwoot's side effects of a batch's new messages (`webhooks_message_side_effects`, see
 * src/subscribers/message-side-effects.ts), in one statement: what the dispatcher runs after the
 * commit, in the transaction that fans their `message_created` out, so they happen exactly once
 * with it. Conversation by conversation, each conversation's messages in order: two dispatchers
 * fanning out at once then lock conversations in the same order.
 */
export const APPLY_IN_ORDER = (t: Tables): string => `
SELECT count(${t.schema === null ? "" : `${quoteIdentifier(t.schema)}.`}"webhooks_message_side_effects"(s.id)) AS applied
FROM (SELECT m.id FROM ${t.messages} m WHERE m.id = ANY($1::int[]) ORDER BY m.conversation_id, m.id) s`;
