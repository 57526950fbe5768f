import express, { type RequestHandler } from "express";
import { BadRequestError, WebhooksError } from "../errors";

/**
 * JSON body parsing owned by the router, so that its limit and its errors are ours: a body over
 * `maxBodyBytes` → 413, broken JSON → 400, both as `{"error": ...}`. Requests without a JSON
 * body (GET, DELETE, another Content-Type) pass through with `req.body` unset. A body the host
 * already parsed is left alone.
 */
export function jsonBody(maxBodyBytes: number): RequestHandler {
  const parse = express.json({ limit: maxBodyBytes, type: ["application/json", "application/*+json"] });
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => {
      if (error === undefined || error === null) next();
      else next(toRequestError(error, maxBodyBytes));
    });
  };
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
