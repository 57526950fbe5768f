import type { IncomingHttpHeaders } from "node:http";
import express, { type RequestHandler } from "express";
import { BadRequestError, WebhooksError } from "../errors";
import { readAccessToken } from "./access-token";

/**
 * The media types read as JSON: Rails' JSON type and its synonyms (`text/x-json`,
 * `application/jsonrequest`), and (ours) any `+json` type. Parameters such as `; charset=utf-8`
 * are allowed, and names are matched case-insensitively.
 */
const JSON_TYPES = ["application/json", "text/x-json", "application/jsonrequest", "application/*+json"];

/** Charset labels that name UTF-8 (or its ASCII subset) without the `utf-` prefix the parser wants. */
const UTF8_ALIASES = /^(?:utf8|us-ascii|ascii)$/i;
const CHARSET_PARAM = /(;\s*charset\s*=\s*)("?)([^";\s]*)\2/i;

/** Nesting a form body may use: `webhook[subscriptions][]` is 2 levels; deeper is a 400. */
const FORM_DEPTH = 4;
/** Most fields a form body may have (each `webhook[subscriptions][]=` counts); more is a 413. */
const FORM_FIELDS = 200;

/**
 * Body parsing owned by the router, so that its limit and its errors are ours: a body over
 * `maxBodyBytes` → 413, broken JSON → 400, a charset other than UTF-8 → 415, all as
 * `{"error": ...}`. Requests without a body (GET, DELETE, another Content-Type) pass through with
 * `req.body` unset. A body the host already parsed is left alone.
 *
 * Like Rails, it also reads `application/x-www-form-urlencoded` bodies with bracketed names
 * (`webhook[url]=…&webhook[subscriptions][]=…`; values arrive as strings), but only from a request
 * that carries an access token header: any web page can make a browser post a form across sites
 * with its cookies, but not with a header, so a host whose `authenticate` trusts cookies is not
 * opened to cross-site form posts.
 */
export function jsonBody(maxBodyBytes: number): RequestHandler {
  const parseJson = express.json({ limit: maxBodyBytes, type: JSON_TYPES });
  // `depth` is body-parser 2's option; its type definitions do not list it yet.
  const formOptions = { extended: true, limit: maxBodyBytes, depth: FORM_DEPTH, parameterLimit: FORM_FIELDS };
  const parseForm = express.urlencoded(formOptions);
  return (req, res, next) => {
    normalizeCharset(req.headers);
    const done = (error?: unknown) => {
      if (error === undefined || error === null) next();
      else next(toRequestError(error, maxBodyBytes));
    };
    if (req.is("application/x-www-form-urlencoded") && readAccessToken(req) !== null) parseForm(req, res, done);
    else parseJson(req, res, done);
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
    case "parameters.too.many":
      return new BadRequestError(`Too many form fields (maximum is ${FORM_FIELDS})`, 413, "payload_too_large");
    case "querystring.parse.rangeError":
      return new BadRequestError(`Form field names are nested too deeply (maximum is ${FORM_DEPTH} levels)`, 400, "bad_request");
  }
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new BadRequestError("Request body could not be read", status);
  }
  return error;
}
