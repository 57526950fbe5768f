/**
 * The only statement on the host's write path: one small outbox row, in the saving transaction.
 * Fan-out to webhooks and payload building happen later, in the dispatcher.
 */
export const INSERT_EVENT = `INSERT INTO webhook_events (account_id, inbox_id, event, subject_type, subject_id, data) VALUES ($1, $2, $3, $4, $5, $6)`;

/** {@link INSERT_EVENT} for several rows at once (a status change is two events). */
export function insertEventsSql(rows: number): string {
  if (rows === 1) return INSERT_EVENT;
  const values = Array.from({ length: rows }, (_, row) => `(${Array.from({ length: 6 }, (_, column) => `$${row * 6 + column + 1}`).join(", ")})`);
  return `INSERT INTO webhook_events (account_id, inbox_id, event, subject_type, subject_id, data) VALUES ${values.join(", ")}`;
}

/** The same, reading account and inbox from the saved row (for inserts that named relations, not ids). */
export function insertEventFromRow(table: "messages" | "conversations" | "contacts" | "inboxes"): string {
  const inbox = table === "contacts" ? "NULL::int" : table === "inboxes" ? "id" : "inbox_id";
  return `INSERT INTO webhook_events (account_id, inbox_id, event, subject_type, subject_id, data) SELECT account_id, ${inbox}, $1, $2, id, $3 FROM ${table} WHERE id = $4`;
}
