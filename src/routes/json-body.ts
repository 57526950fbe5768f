import type { IncomingHttpHeaders } from "node:http";
import express, { type RequestHandler } from "express";
import { BadRequestError, WebhooksError } from "../errors";

/**
 * The media types read as JSON: Rails' JSON type and its synonyms (`text/x-json`,
 * `application/jsonrequest`), and (ours) any `+json` type. Parameters such as `; charset=utf-8`
 * are allowed, and names are matched case-insensitively.
 */
const JSON_TYPES = ["application/json", "text/x-json", "application/jsonrequest", "application/*+json"];

/** Charset labels that name UTF-8 (or its ASCII subset) without the `utf-` prefix the parser wants. */
const UTF8_ALIASES = /^(?:utf8|us-ascii|ascii)$/i;
const CHARSET_PARAM = /(;\s*charset\s*=\s*)("?)([^";\s]*)\2/i;

/**
 * JSON body parsing owned by the router, so that its limit and its errors are ours: a body over
 * `maxBodyBytes` → 413, broken JSON → 400, a charset other than UTF-8 → 415, all as
 * `{"error": ...}`. Requests without a JSON body (GET, DELETE, another Content-Type) pass through
 * with `req.body` unset. A body the host already parsed is left alone.
 */
export function jsonBody(maxBodyBytes: number): RequestHandler {
  const parse = express.json({ limit: maxBodyBytes, type: JSON_TYPES });
  return (req, res, next) => {
    normalizeCharset(req.headers);
    parse(req, res, (error?: unknown) => {
      if (error === undefined || error === null) next();
      else next(toRequestError(error, maxBodyBytes));
    });
  };
}

/**
 * `charset=utf8` (no hyphen) and ASCII labels are common in real clients' Content-Type and mean
 * UTF-8 bytes (Rails does not look at the charset of a JSON body at all). Spell them `utf-8` so
 * the parser accepts them; other charsets stay a 415, as JSON must be UTF-8.
 */
function normalizeCharset(headers: IncomingHttpHeaders): void {
  const type = headers["content-type"];
  const match = type ? CHARSET_PARAM.exec(type) : null;
  if (type && match && UTF8_ALIASES.test(match[3])) headers["content-type"] = type.replace(CHARSET_PARAM, "$1utf-8");
}

function toRequestError(error: unknown, maxBodyBytes: number): unknown {
  if (error instanceof WebhooksError) return error;
  const { type, status } = (error ?? {}) as { type?: unknown; status?: unknown };
  switch (type) {
    case "entity.too.large":
      return new BadRequestError(`Request body is too large (maximum is ${maxBodyBytes} bytes)`, 413, "payload_too_large");
    case "entity.parse.failed":
      return new BadRequestError("Request body is not valid JSON", 400, "invalid_json");
    case "encoding.unsupported":
      return new BadRequestError("Unsupported Content-Encoding", 415, "unsupported_encoding");
    case "charset.unsupported":
      return new BadRequestError("Unsupported charset: send UTF-8 JSON", 415, "unsupported_charset");
  }
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new BadRequestError("Request body could not be read", status);
  }
  return error;
}
