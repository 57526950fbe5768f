/**
 * The twelve events a webhook can subscribe to, in Chatwoot's order, with readable labels.
 * The first eight are ticked by default, as in Chatwoot.
 */
export const EVENTS = [
  { name: "conversation_status_changed", label: "Conversation status changed", byDefault: true },
  { name: "conversation_updated", label: "Conversation updated", byDefault: true },
  { name: "conversation_created", label: "Conversation created", byDefault: true },
  { name: "contact_created", label: "Contact created", byDefault: true },
  { name: "contact_updated", label: "Contact updated", byDefault: true },
  { name: "message_created", label: "Message created", byDefault: true },
  { name: "message_updated", label: "Message updated", byDefault: true },
  { name: "webwidget_triggered", label: "Chat widget opened", byDefault: true },
  { name: "inbox_created", label: "Inbox created", byDefault: false },
  { name: "inbox_updated", label: "Inbox updated", byDefault: false },
  { name: "conversation_typing_on", label: "Typing started", byDefault: false },
  { name: "conversation_typing_off", label: "Typing stopped", byDefault: false },
];

const LABELS = new Map(EVENTS.map((event) => [event.name, event.label]));

/** The readable label of an event name; unknown names are shown as they are. */
export function eventLabel(name) {
  return LABELS.get(name) ?? name;
}
