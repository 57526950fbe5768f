import type { Logger } from "../src";
import type { LogLevel } from "./config";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A readable console logger with the library's (pino-compatible) `Logger` shape:
 * `12:00:00.000 info  listening on http://127.0.0.1:3000 {"extra":"fields"}`.
 * Swap in `pino()` for JSON logs; the library accepts either.
 */
export function createConsoleLogger(level: LogLevel = "info", write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Logger {
  const log = (at: LogLevel) => (obj: object, msg?: string) => {
    if (RANK[at] < RANK[level]) return;
    const time = new Date().toISOString().slice(11, 23);
    write(`${time} ${at.padEnd(5)} ${msg ?? ""}${formatFields(obj)}`);
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

function formatFields(obj: object): string {
  if (obj instanceof Error) return ` ${obj.stack ?? obj.message}`;
  const entries = Object.entries(obj ?? {});
  if (entries.length === 0) return "";
  const fields = Object.fromEntries(entries.map(([key, value]) => [key, value instanceof Error ? value.message : value]));
  return ` ${JSON.stringify(fields)}`;
}
