import type { OutboxEventName } from "../types";

/** What a subject row of an outbox event is. */
export type OutboxSubjectType = "Message" | "Conversation" | "Contact" | "Inbox" | "ContactInbox";

/**
 * One outbox row (`webhook_events`) as the dispatcher hands it to {@link buildBodies}.
 *
 * `data` carries what the subject row cannot tell later:
 * - `*_updated`, `conversation_status_changed`: `{ changed_attributes }` in Chatwoot's form;
 * - typing events (subject `Conversation`): `{ conversation_id, user: { type, id }, is_private }`;
 * - `webwidget_triggered` (subject `ContactInbox`): `{ event_info }`.
 */
export interface OutboxEvent {
  id: string;
  accountId: number;
  inboxId: number | null;
  event: OutboxEventName;
  subjectType: OutboxSubjectType | null;
  subjectId: number | null;
  data: Record<string, unknown> | null;
  createdAt: Date;
}
