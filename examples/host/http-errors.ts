import { BadRequestError, NotFoundError } from "../../src";

/** 404 `{"error":"Resource could not be found"}`: unknown ids and other accounts' ids alike. */
export function notFound(): NotFoundError {
  return new NotFoundError();
}

/** 422 `{"error": message}` for a request body the route cannot accept. */
export function unprocessable(message: string): BadRequestError {
  return new BadRequestError(message, 422, "unprocessable_entity");
}

/** 400 `{"error": message}` for a body that cannot even be read. */
export function badRequest(message: string): BadRequestError {
  return new BadRequestError(message, 400, "bad_request");
}

/** 413 `{"error": message}`. */
export function tooLarge(message: string): BadRequestError {
  return new BadRequestError(message, 413, "payload_too_large");
}
