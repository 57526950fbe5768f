import { createHmac, timingSafeEqual } from "node:crypto";
import { Webhook as StandardWebhook } from "standardwebhooks";
import type { ReceivedRequest } from "./receiver";

/** Check both signatures the way receivers do: Chatwoot's with crypto, Standard Webhooks' with its package. */
export function verifyBothSignatures(request: ReceivedRequest, secret: string): void {
  const timestamp = String(request.headers["x-chatwoot-timestamp"]);
  const expected = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${request.body}`).digest("hex")}`;
  const got = String(request.headers["x-chatwoot-signature"]);
  if (got.length !== expected.length || !timingSafeEqual(Buffer.from(got), Buffer.from(expected))) {
    throw new Error(`X-Chatwoot-Signature ${got} does not match ${expected}`);
  }
  new StandardWebhook(secret, { format: "raw" }).verify(request.body, {
    "webhook-id": String(request.headers["webhook-id"]),
    "webhook-timestamp": String(request.headers["webhook-timestamp"]),
    "webhook-signature": String(request.headers["webhook-signature"]),
  });
}

/**
 * Whether a Chatwoot-style receiver holding `secret` accepts the request: HMAC-SHA256 over
 * `timestamp.body`, hex, compared in constant time with the one `X-Chatwoot-Signature` value.
 */
export function chatwootAccepts(request: ReceivedRequest, secret: string): boolean {
  const timestamp = String(request.headers["x-chatwoot-timestamp"]);
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(`${timestamp}.${request.body}`).digest("hex")}`);
  const got = Buffer.from(String(request.headers["x-chatwoot-signature"]));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** Whether the `standardwebhooks` package, given `secret`, accepts the request (it throws when not). */
export function standardAccepts(request: ReceivedRequest, secret: string): boolean {
  try {
    new StandardWebhook(secret, { format: "raw" }).verify(request.body, {
      "webhook-id": String(request.headers["webhook-id"]),
      "webhook-timestamp": String(request.headers["webhook-timestamp"]),
      "webhook-signature": String(request.headers["webhook-signature"]),
    });
    return true;
  } catch {
    return false;
  }
}
