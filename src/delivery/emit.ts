import type { WebhooksContext } from "../context";

/** Who is typing: an agent (`User`), the customer (`Contact`) or a bot (`AgentBot`). */
export interface Typist {
  type: "User" | "Contact" | "AgentBot";
  id: number;
}

/** Events that are not database writes in Chatwoot; the host reports them and they go through the outbox. */
export interface Emitter {
  /** `conversation_typing_on` / `conversation_typing_off` for a conversation (its row id). */
  typing(input: { conversationId: number; user: Typist; on: boolean; isPrivate?: boolean }): Promise<void>;
  /** `webwidget_triggered` when a visitor opens the web widget; `eventInfo` as the widget sends it. */
  widgetTriggered(input: { contactInboxId: number; eventInfo?: Record<string, unknown> }): Promise<void>;
}

const TYPING = `
INSERT INTO webhook_events (account_id, inbox_id, event, subject_type, subject_id, data)
SELECT account_id, inbox_id, $1, 'Conversation', id, $2 FROM conversations WHERE id = $3
RETURNING id`;

const WIDGET = `
INSERT INTO webhook_events (account_id, inbox_id, event, subject_type, subject_id, data)
SELECT i.account_id, i.id, 'webwidget_triggered', 'ContactInbox', ci.id, $1
FROM contact_inboxes ci JOIN inboxes i ON i.id = ci.inbox_id WHERE ci.id = $2
RETURNING id`;

export function createEmitter(context: WebhooksContext, wake: () => void): Emitter {
  const { dataSource } = context.options;
  const insert = async (sql: string, params: unknown[], what: string) => {
    const rows = (await dataSource.query(sql, params)) as unknown[];
    if (rows.length === 0) throw new TypeError(`${what} does not exist.`);
    wake();
  };
  return {
    typing: ({ conversationId, user, on, isPrivate = false }) => {
      if (!Number.isInteger(conversationId) || !user || !["User", "Contact", "AgentBot"].includes(user.type) || !Number.isInteger(user.id)) {
        return Promise.reject(new TypeError("emit.typing() needs { conversationId: number, user: { type: 'User' | 'Contact' | 'AgentBot', id: number }, on: boolean }."));
      }
      const data = { conversation_id: conversationId, user: { type: user.type, id: user.id }, is_private: isPrivate };
      return insert(TYPING, [on ? "conversation_typing_on" : "conversation_typing_off", JSON.stringify(data), conversationId], `Conversation ${conversationId}`);
    },
    widgetTriggered: ({ contactInboxId, eventInfo = {} }) => {
      if (!Number.isInteger(contactInboxId)) return Promise.reject(new TypeError("emit.widgetTriggered() needs { contactInboxId: number }."));
      return insert(WIDGET, [JSON.stringify({ event_info: eventInfo }), contactInboxId], `ContactInbox ${contactInboxId}`);
    },
  };
}
