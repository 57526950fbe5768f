import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import type { ChangedAttributes } from "../types";

type Change = ChangedAttributes[number];

/**
 * Chatwoot's `changed_attributes` from a TypeORM update: one single-key object per change the save
 * made, named by its database column, with previous and current values in JSON form. Chatwoot
 * sends every saved change (ActiveModel's `previous_changes`), so `updated_at` is among them
 * whenever anything else changed; a save that changed nothing else is no change at all (empty).
 *
 * Labels are a `text[]` column here, but in Chatwoot a tag list: its change is reported under
 * Chatwoot's two names, `cached_label_list` (the column, `"a, b"`) where ours sits and
 * `label_list` (the virtual attribute, an array) last, as Rails lists virtual attributes after
 * the columns.
 */
export function changedAttributes(
  columns: readonly ColumnMetadata[],
  previous: object | undefined,
  current: object,
  updateDateColumn?: ColumnMetadata,
): ChangedAttributes {
  const changes: Change[] = [];
  let labelList: Change | null = null;
  for (const column of columns) {
    // TypeORM sets these itself; the update date is added below, once, from the saved row.
    if (column.isCreateDate || column === updateDateColumn) continue;
    const before = previous ? column.getEntityValue(previous) : null;
    const after = column.getEntityValue(current);
    if (sameValue(before, after)) continue;
    if (column.databaseName === "labels") {
      changes.push({ cached_label_list: { previous_value: cachedLabelList(before, null), current_value: cachedLabelList(after, "") } });
      labelList = { label_list: { previous_value: toJson(before) ?? [], current_value: toJson(after) ?? [] } };
      continue;
    }
    changes.push({ [column.databaseName]: { previous_value: toJson(before), current_value: toJson(after) } });
  }
  if (changes.length === 0) return [];
  if (updateDateColumn && previous) {
    const before = updateDateColumn.getEntityValue(previous);
    const after = updateDateColumn.getEntityValue(current);
    if (!sameValue(before, after)) changes.push({ [updateDateColumn.databaseName]: { previous_value: toJson(before), current_value: toJson(after) } });
  }
  if (labelList) changes.push(labelList);
  return changes;
}

/**
 * The comma-joined cache Chatwoot's tag list keeps beside the labels (`"billing, vip"`). No labels
 * before reads as `null`, what a conversation that never had one holds; no labels after as `""`,
 * what removing the last one writes.
 */
function cachedLabelList(labels: unknown, empty: null | ""): string | null {
  if (!Array.isArray(labels) || labels.length === 0) return empty;
  return labels.join(", ");
}

function toJson(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(toJson(a)) === JSON.stringify(toJson(b));
}
