import { createHmac, timingSafeEqual } from "node:crypto";

/** What {@link signatureHeaders} needs to sign one attempt. */
export interface SignatureInput {
  /** The webhook's secret; its UTF-8 bytes are the HMAC key of both signatures. */
  secret: string;
  /**
   * The secret before a rotation, while its overlap lasts (see {@link activePreviousSecret});
   * null or absent otherwise.
   */
  previousSecret?: string | null;
  /** The delivery id: the same on every attempt and redelivery. */
  deliveryId: string;
  /** Unix seconds of this attempt. */
  timestamp: number;
  /** The exact body sent. */
  body: string;
  /** e.g. `chatwoot-webhooks/0.1.0`. */
  userAgent: string;
}

function hmac(secret: string, message: string) {
  if (typeof secret !== "string" || secret.length === 0) {
    throw new TypeError("A webhook secret must be a non-empty string.");
  }
  return createHmac("sha256", Buffer.from(secret, "utf8")).update(message, "utf8");
}

function checkTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError(`A signature timestamp must be whole Unix seconds, got ${String(timestamp)}.`);
  }
}

/**
 * Chatwoot's `X-Chatwoot-Signature`: `sha256=` + lowercase hex HMAC-SHA256 with the secret as
 * key over `${timestamp}.${body}`.
 */
export function chatwootSignature(secret: string, timestamp: number, body: string): string {
  checkTimestamp(timestamp);
  return chatwootDigest(secret, String(timestamp), body);
}

function chatwootDigest(secret: string, timestamp: string, body: string): string {
  return `sha256=${hmac(secret, `${timestamp}.${body}`).digest("hex")}`;
}

/**
 * Standard Webhooks' `webhook-signature`: `v1,` + base64 HMAC-SHA256 over `${id}.${timestamp}.${body}`.
 * The key is the secret's own bytes (our secrets are base58, not `whsec_` base64), so receivers
 * verify with `new Webhook(secret, { format: "raw" })` from the `standardwebhooks` package.
 */
export function standardWebhookSignature(secret: string, id: string, timestamp: number, body: string): string {
  checkTimestamp(timestamp);
  return `v1,${hmac(secret, `${id}.${timestamp}.${body}`).digest("base64")}`;
}

/**
 * Every header of one attempt, in a stable order: Chatwoot's set, then the Standard Webhooks set.
 *
 * During a rotation's overlap (`previousSecret` given), `webhook-signature` lists both signatures,
 * the current secret's first (`v1,<new> v1,<old>`: Standard Webhooks' libraries accept any one
 * that matches), and the single-valued `X-Chatwoot-Signature` stays signed with the previous
 * secret, the one every receiver had before the rotation, until the overlap ends; from then on it
 * is signed with the current one. A receiver switches by accepting either secret (or by ending the
 * overlap when it switches): see the README's "Rotating a secret".
 */
export function signatureHeaders(input: SignatureInput): Record<string, string> {
  const { secret, deliveryId, timestamp, body, userAgent } = input;
  const previous = input.previousSecret ? input.previousSecret : null;
  const standard = standardWebhookSignature(secret, deliveryId, timestamp, body);
  return {
    "Content-Type": "application/json",
    Accept: "application/json",
    "User-Agent": userAgent,
    "X-Chatwoot-Delivery": deliveryId,
    "X-Chatwoot-Timestamp": String(timestamp),
    "X-Chatwoot-Signature": chatwootSignature(previous ?? secret, timestamp, body),
    "webhook-id": deliveryId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": previous === null ? standard : `${standard} ${standardWebhookSignature(previous, deliveryId, timestamp, body)}`,
  };
}

/**
 * Check an `X-Chatwoot-Signature` header in constant time, as a receiver does. Returns false for
 * a missing or malformed header or timestamp rather than throwing.
 */
export function verifyChatwootSignature(secret: string, timestamp: number | string, body: string, header: string | undefined): boolean {
  // The timestamp is signed as the text of its header, exactly as received.
  const text = String(timestamp);
  if (typeof header !== "string" || !/^\d+$/.test(text)) return false;
  const expected = Buffer.from(chatwootDigest(secret, text, body), "utf8");
  const given = Buffer.from(header, "utf8");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The previous secret if its overlap still runs at `at` (the attempt's time, from the injected
 * clock), else null. The overlap ends at `expiresAt`, exclusive.
 */
export function activePreviousSecret(previous: string | null | undefined, expiresAt: Date | string | null | undefined, at: Date): string | null {
  if (!previous || expiresAt === null || expiresAt === undefined) return null;
  return new Date(expiresAt).getTime() > at.getTime() ? previous : null;
}
