/**
 * Rows of a raw TypeORM query on PostgreSQL: `SELECT`/`INSERT` give the rows, while `UPDATE` and
 * `DELETE` give `[rows, count]`.
 */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === "number") return result[0] as T[];
  return result as T[];
}
