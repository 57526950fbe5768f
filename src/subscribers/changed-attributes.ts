import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import type { ChangedAttributes } from "../types";

/** Columns whose change alone is not news (Chatwoot ignores them too). */
const IGNORED = new Set(["updated_at", "created_at"]);

/**
 * Chatwoot's `changed_attributes` from a TypeORM update: one single-key object per changed
 * column, named by its database column, with previous and current values in JSON form.
 */
export function changedAttributes(columns: readonly ColumnMetadata[], previous: object | undefined, current: object): ChangedAttributes {
  const changes: ChangedAttributes = [];
  for (const column of columns) {
    if (IGNORED.has(column.databaseName)) continue;
    const before = previous ? column.getEntityValue(previous) : null;
    const after = column.getEntityValue(current);
    if (sameValue(before, after)) continue;
    changes.push({ [column.databaseName]: { previous_value: toJson(before), current_value: toJson(after) } });
  }
  return changes;
}

function toJson(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(toJson(a)) === JSON.stringify(toJson(b));
}
