import type { Tables } from "../../tables";

const COLUMNS = "(account_id, inbox_id, event, subject_type, subject_id, data)";
const built = new WeakMap<Tables, string[]>();

/**
 * The only statement on the host's write path of a conversation, contact or inbox: small outbox
 * rows (one per event; a status change is two), in the saving transaction (a message's row is
 * written by its table's trigger). Fan-out to webhooks and payload building happen later, in the
 * dispatcher. Built once per row count, so a named prepared statement always has one text.
 */
export function insertEventsSql(t: Tables, rows: number): string {
  let texts = built.get(t);
  if (!texts) built.set(t, (texts = []));
  const known = texts[rows];
  if (known !== undefined) return known;
  const values = Array.from({ length: rows }, (_, row) => `(${Array.from({ length: 6 }, (_, column) => `$${row * 6 + column + 1}`).join(", ")})`);
  return (texts[rows] = `INSERT INTO ${t.webhookEvents} ${COLUMNS} VALUES ${values.join(", ")}`);
}

/** The same, reading account and inbox from the saved row (for inserts that named relations, not ids). */
export function insertEventFromRow(t: Tables, table: "conversations" | "contacts" | "inboxes"): string {
  const inbox = table === "contacts" ? "NULL::int" : table === "inboxes" ? "id" : "inbox_id";
  return `INSERT INTO ${t.webhookEvents} ${COLUMNS} SELECT account_id, ${inbox}, $1, $2, id, $3 FROM ${t[table]} WHERE id = $4`;
}
