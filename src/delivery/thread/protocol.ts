import { types } from "node:util";
import type { WebhooksEventMap } from "../../context";
import type { DispatcherActivity } from "../dispatcher-types";
/** The host's thread to the dispatcher's. */
export type ToThread = { type: "wake" } | { type: "stop"; timeoutMs: number };

/** A log line or an error, as plain data: what the host's logger and listeners get back as an `Error`. */
export interface PlainError {
  name: string;
  message: string;
  stack?: string;
  props: Record<string, unknown>;
}

/** The dispatcher's thread to the host's. */
export type FromThread =
  | { type: "started" }
  | { type: "activity"; activity: DispatcherActivity }
  /** Events in the order they happened, with the activity after them (listeners that read the gauges see them as of the events). */
  | { type: "events"; events: Array<{ name: keyof WebhooksEventMap; args: unknown[] }>; activity: DispatcherActivity }
  | { type: "log"; level: "debug" | "info" | "warn" | "error"; obj: unknown; msg?: string }
  | { type: "failed"; error: PlainError };

const PLAIN_ERROR = "__webhooksPlainError";

/**
 * A value as the other thread can receive it: errors become plain data (structured clone keeps
 * neither their class nor PostgreSQL's `code`), functions and other values that cannot cross
 * become their description. Dates, arrays and plain objects cross as they are.
 */
export function toPlain(value: unknown, depth = 0): unknown {
  if (types.isNativeError(value) || value instanceof Error) return { [PLAIN_ERROR]: plainError(value, depth) };
  if (value === null || typeof value !== "object") return typeof value === "function" || typeof value === "symbol" ? String(value) : value;
  if (types.isDate(value)) return value;
  if (depth > 4) return "[nested too deep]";
  if (Array.isArray(value)) return value.map((item) => toPlain(item, depth + 1));
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = toPlain(item, depth + 1);
  return out;
}

/** An error as plain data. */
export function plainError(error: Error, depth = 0): PlainError {
  const props: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(error)) props[key] = toPlain(item, depth + 1);
  return { name: error.name, message: error.message, stack: error.stack, props };
}

/** The inverse of {@link toPlain}: plain errors become `Error`s again, with their name, stack and properties. */
export function fromPlain(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  // What arrives is of the process's main realm, which need not be the caller's (Jest runs tests in
  // a realm of their own): a Date of this module's realm passes `instanceof Date` where it is used.
  if (types.isDate(value)) return new Date(value.getTime());
  if (Array.isArray(value)) return value.map(fromPlain);
  const plain = (value as Record<string, unknown>)[PLAIN_ERROR] as PlainError | undefined;
  if (plain) return errorOf(plain);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = fromPlain(item);
  return out;
}

/** An `Error` from its plain form. */
export function errorOf(plain: PlainError): Error {
  const error = new Error(plain.message) as Error & Record<string, unknown>;
  Object.defineProperty(error, "name", { value: plain.name, enumerable: false, configurable: true, writable: true });
  if (plain.stack !== undefined) error.stack = plain.stack;
  for (const [key, item] of Object.entries(plain.props)) error[key] = fromPlain(item);
  return error;
}
