import { notFound, unprocessable } from "./http-errors";

const MAX_INT = 2147483647;

/** A path id (`/messages/:id`) as a positive int4; anything else cannot name a row, so 404. */
export function pathId(raw: unknown): number {
  const id = toId(raw);
  if (id === null) throw notFound();
  return id;
}

/** A positive int4 given as a number or a digit string (multipart sends strings), else null. */
export function toId(raw: unknown): number | null {
  if (typeof raw === "number") return Number.isInteger(raw) && raw > 0 && raw <= MAX_INT ? raw : null;
  if (typeof raw === "string" && /^[1-9][0-9]{0,9}$/.test(raw)) {
    const id = Number(raw);
    return id <= MAX_INT ? id : null;
  }
  return null;
}

/** The request body as a plain object: `{}` when absent, 422 when it is an array or a scalar. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) throw unprocessable("The request body must be a JSON object");
  return body as Record<string, unknown>;
}

/** An optional string field: undefined when absent or null, 422 when not a string or too long. */
export function optionalString(body: Record<string, unknown>, key: string, maxLength: number): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw unprocessable(`${key} must be a string`);
  if (value.length > maxLength) throw unprocessable(`${key} is too long (maximum is ${maxLength} characters)`);
  // PostgreSQL text cannot hold NUL; refuse it here rather than fail in the database.
  if (value.includes("\u0000")) throw unprocessable(`${key} must not contain NUL characters`);
  return value;
}

/** A boolean field; multipart bodies carry `"true"`/`"false"`. Undefined when absent. */
export function optionalBoolean(body: Record<string, unknown>, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null || value === "") return undefined;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw unprocessable(`${key} must be true or false`);
}

/** A JSON object field; multipart bodies carry it as a JSON string (or as `key[sub]` fields). */
export function optionalObject(body: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  let value = body[key];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      throw unprocessable(`${key} must be a JSON object`);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw unprocessable(`${key} must be a JSON object`);
  // Multipart bodies are built on null-prototype objects; store a plain copy.
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

/** A required id field naming a row of the account; 422 when missing or not an id. */
export function requiredId(body: Record<string, unknown>, key: string): number {
  const id = toId(body[key]);
  if (id === null) throw unprocessable(`${key} must be the id of a record in this account`);
  return id;
}

/** True for null, undefined and strings of only whitespace (Rails' `blank?`). */
export function isBlank(value: string | null | undefined): boolean {
  return value === null || value === undefined || value.trim() === "";
}
