import type { EntityManager, QueryRunner } from "typeorm";
import type { WebhooksContext } from "../context";
import { statementsOf, type Tables } from "../tables";

/** Who is typing: an agent (`User`), the customer (`Contact`) or a bot (`AgentBot`). */
export interface Typist {
  type: "User" | "Contact" | "AgentBot";
  id: number;
}

/** Events that are not database writes in Chatwoot; the host reports them and they go through the outbox. */
export interface Emitter {
  /** `conversation_typing_on` / `conversation_typing_off` for a conversation (its row id). */
  typing(input: { conversationId: number; user: Typist; on: boolean; isPrivate?: boolean; manager?: EntityManager }): Promise<void>;
  /** `webwidget_triggered` when a visitor opens the web widget; `eventInfo` as the widget sends it. */
  widgetTriggered(input: { contactInboxId: number; eventInfo?: Record<string, unknown>; manager?: EntityManager }): Promise<void>;
}

/**
 * Pass `manager` (from `dataSource.transaction(...)`) to record the event in that transaction:
 * it is sent only if the transaction commits.
 */

const TYPING = (t: Tables): string => `
INSERT INTO ${t.webhookEvents} (account_id, inbox_id, event, subject_type, subject_id, data)
SELECT account_id, inbox_id, $1, 'Conversation', id, $2 FROM ${t.conversations} WHERE id = $3
RETURNING id`;

const WIDGET = (t: Tables): string => `
INSERT INTO ${t.webhookEvents} (account_id, inbox_id, event, subject_type, subject_id, data)
SELECT i.account_id, i.id, 'webwidget_triggered', 'ContactInbox', ci.id, $1
FROM ${t.contactInboxes} ci JOIN ${t.inboxes} i ON i.id = ci.inbox_id WHERE ci.id = $2
RETURNING id`;

export function createEmitter(context: WebhooksContext, recorded: (queryRunner: QueryRunner | undefined) => void): Emitter {
  const { dataSource } = context.options;
  const sql = statementsOf(dataSource);
  const insert = async (sql: string, params: unknown[], what: string, manager?: EntityManager) => {
    const rows = (await (manager ?? dataSource.manager).query(sql, params)) as unknown[];
    if (rows.length === 0) throw new TypeError(`${what} does not exist.`);
    recorded(manager?.queryRunner);
  };
  return {
    typing: ({ conversationId, user, on, isPrivate = false, manager }) => {
      if (!Number.isInteger(conversationId) || !user || !["User", "Contact", "AgentBot"].includes(user.type) || !Number.isInteger(user.id)) {
        return Promise.reject(new TypeError("emit.typing() needs { conversationId: number, user: { type: 'User' | 'Contact' | 'AgentBot', id: number }, on: boolean }."));
      }
      const data = { conversation_id: conversationId, user: { type: user.type, id: user.id }, is_private: isPrivate };
      return insert(sql(TYPING), [on ? "conversation_typing_on" : "conversation_typing_off", JSON.stringify(data), conversationId], `Conversation ${conversationId}`, manager);
    },
    widgetTriggered: ({ contactInboxId, eventInfo = {}, manager }) => {
      if (!Number.isInteger(contactInboxId)) return Promise.reject(new TypeError("emit.widgetTriggered() needs { contactInboxId: number }."));
      return insert(sql(WIDGET), [JSON.stringify({ event_info: eventInfo }), contactInboxId], `ContactInbox ${contactInboxId}`, manager);
    },
  };
}
