import { quoteIdentifier, type Tables } from "../../tables";

/**
 * The side-effects function (`webhooks_message_side_effects`), in the library's schema: the host's
 * search path may not include it. Its rules are in its migration.
 */
export const sideEffects = (t: Tables): string => `${t.schema === null ? "" : `${quoteIdentifier(t.schema)}.`}"webhooks_message_side_effects"`;

/**
 * Chatwoot's side effects of the new messages among `locked` (a CTE of event rows), as CTEs to
 * follow `locked` in a WITH list; the last, `applied`, has one row: what the dispatcher runs
 * after the commit, in the statement that locks their `message_created` for fan-out, so they
 * happen exactly once with it and cost no round trip of their own. Only when `enabled` (a boolean
 * parameter).
 *
 * Every row the side effects lock is locked first, in one order for every fan-out: the batch's
 * conversations by id, then its senders' contacts by id (`FOR NO KEY UPDATE`, as the function
 * does), and only then the messages' side effects, conversation by conversation, each
 * conversation's messages in order. Two fan-outs at once (here or in two dispatchers) whose
 * batches share a contact or a conversation then wait for one another instead of deadlocking,
 * which they did when each took the rows message by message (conversation 1, contact X, then
 * conversation 2, against another's conversation 2, then contact X).
 *
 * A CTE runs only as far as it is read, so each step reads the whole of the one before it in a
 * condition without columns (a one-time filter, evaluated before its own scan starts): the
 * contacts are locked after all the conversations, the side effects start after all the contacts.
 */
export const APPLY_IN_ORDER = (t: Tables, locked: string, enabled: string): string => `
side_effect_messages AS (
  SELECT m.id, m.conversation_id, m.sender_type, m.sender_id FROM ${t.messages} m
  WHERE ${enabled} AND m.id IN (SELECT l.subject_id FROM ${locked} l WHERE l.event = 'message_created' AND l.subject_type = 'Message')
), side_effect_conversations AS (
  SELECT c.id FROM ${t.conversations} c
  WHERE c.id IN (SELECT s.conversation_id FROM side_effect_messages s)
  ORDER BY c.id
  FOR NO KEY UPDATE
), side_effect_contacts AS (
  SELECT x.id FROM ${t.contacts} x
  WHERE x.id IN (SELECT s.sender_id FROM side_effect_messages s WHERE s.sender_type = 'Contact')
    AND (SELECT count(*) FROM side_effect_conversations) >= 0
  ORDER BY x.id
  FOR NO KEY UPDATE
), applied AS (
  SELECT count(${sideEffects(t)}(s.id)) AS applied
  FROM (SELECT m.id FROM side_effect_messages m
        WHERE (SELECT count(*) FROM side_effect_contacts) >= 0
        ORDER BY m.conversation_id, m.id) s
)`;
