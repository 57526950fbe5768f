import { randomBytes } from "node:crypto";

/** A fresh random token: 24 URL-safe characters (access tokens, pubsub tokens). */
export function randomToken(): string {
  return randomBytes(18).toString("base64url");
}
