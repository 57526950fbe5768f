import { quoteIdentifier, type Tables } from "../../tables";

/**
 * The side-effects function (`webhooks_message_side_effects`), in the library's schema: the host's
 * search path may not include it. Its rules are in its migration.
 */
export const sideEffects = (t: Tables): string => `${t.schema === null ? "" : `${quoteIdentifier(t.schema)}.`}"webhooks_message_side_effects"`;

/**
 * Chatwoot's side effects of the new messages among `locked` (a CTE of event rows), as a one-row
 * CTE body: what the dispatcher runs after the commit, in the statement that locks their
 * `message_created` for fan-out, so they happen exactly once with it and cost no round trip of
 * their own. Only when `enabled` (a boolean parameter). Conversation by conversation, each
 * conversation's messages in order: two dispatchers fanning out at once lock conversations in
 * the same order.
 */
export const APPLY_IN_ORDER = (t: Tables, locked: string, enabled: string): string => `
SELECT count(${sideEffects(t)}(s.id)) AS applied
FROM (SELECT m.id FROM ${t.messages} m
      WHERE ${enabled} AND m.id IN (SELECT l.subject_id FROM ${locked} l WHERE l.event = 'message_created' AND l.subject_type = 'Message')
      ORDER BY m.conversation_id, m.id) s`;
