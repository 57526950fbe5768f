import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import multer from "multer";
import { badRequest, tooLarge, unprocessable } from "./http-errors";

/** Largest JSON body the host routes read. */
export const MAX_JSON_BYTES = 1024 * 1024;
/** Per-file and per-request limits of multipart uploads (files are held in memory). */
export const UPLOAD_LIMITS = { fileSize: 10 * 1024 * 1024, files: 10, fields: 50, fieldSize: 256 * 1024, parts: 70 };

const MULTER_STATUS: Record<string, number> = {
  LIMIT_FILE_SIZE: 413,
  LIMIT_FILE_COUNT: 413,
  LIMIT_PART_COUNT: 413,
  LIMIT_FIELD_COUNT: 413,
  LIMIT_FIELD_VALUE: 413,
  LIMIT_FIELD_KEY: 413,
  LIMIT_UNEXPECTED_FILE: 422,
};

/**
 * Read a body as JSON or, like Chatwoot, as `multipart/form-data` whose `attachments[]` parts are
 * files. Multipart fields arrive as strings; `req.files` lists the uploads (`fieldname`
 * `attachments[]` or `attachments`). Every failure becomes a 4xx with `{"error": ...}`.
 */
export function parseBody(options: { files: boolean }): RequestHandler {
  const json = express.json({ limit: MAX_JSON_BYTES });
  const upload = multer({ storage: multer.memoryStorage(), limits: UPLOAD_LIMITS, defParamCharset: "utf8" });
  const multipart = options.files ? upload.fields([{ name: "attachments[]", maxCount: UPLOAD_LIMITS.files }, { name: "attachments", maxCount: UPLOAD_LIMITS.files }]) : upload.none();

  return (req: Request, res: Response, next: NextFunction) => {
    const done = (error?: unknown) => next(error === undefined ? undefined : toHttpError(error));
    if (req.is("multipart/form-data")) multipart(req, res, done);
    else json(req, res, done);
  };
}

/** The uploaded files of a multipart request, whichever of the two field names was used. */
export function uploadedFiles(req: Request): Express.Multer.File[] {
  const files = req.files;
  if (!files) return [];
  if (Array.isArray(files)) return files;
  return [...(files["attachments[]"] ?? []), ...(files.attachments ?? [])];
}

function toHttpError(error: unknown): unknown {
  if (error instanceof multer.MulterError) {
    const status = MULTER_STATUS[error.code] ?? 400;
    const message = error.code === "LIMIT_UNEXPECTED_FILE" ? `Unexpected file field "${error.field ?? ""}": send files as attachments[]` : `Upload rejected: ${error.message}`;
    return status === 413 ? tooLarge(message) : status === 422 ? unprocessable(message) : badRequest(message);
  }
  const status = (error as { status?: unknown }).status;
  const type = (error as { type?: unknown }).type;
  if (type === "entity.parse.failed") return badRequest("The request body is not valid JSON");
  if (type === "entity.too.large") return tooLarge(`The request body is larger than ${MAX_JSON_BYTES} bytes`);
  if (typeof status === "number" && status >= 400 && status < 500) return error;
  // busboy reports a malformed multipart stream (bad boundary, truncated part) as a plain Error.
  return badRequest(`The multipart body could not be read: ${(error as Error).message ?? "malformed"}`);
}
