import { randomBytes } from "node:crypto";

/** Bitcoin's base58 alphabet: no 0, O, I or l, so a secret survives being read aloud or retyped. */
export const BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Length of a generated secret, as Chatwoot generates them (24-character base58 tokens). */
export const SECRET_LENGTH = 24;

// The largest multiple of 58 that fits in a byte: bytes at or above it are dropped, so every
// character is equally likely (no modulo bias).
const ACCEPT_BELOW = 256 - (256 % BASE58_ALPHABET.length);

/** A new webhook secret: 24 base58 characters from the system's secure random source (about 140 bits). */
export function generateSecret(): string {
  let secret = "";
  while (secret.length < SECRET_LENGTH) {
    for (const byte of randomBytes(SECRET_LENGTH * 2)) {
      if (byte >= ACCEPT_BELOW) continue;
      secret += BASE58_ALPHABET[byte % BASE58_ALPHABET.length];
      if (secret.length === SECRET_LENGTH) break;
    }
  }
  return secret;
}

/**
 * The column default of generated tokens (channel and bot secrets), for rows written without the
 * entity class: a function the migrations create, 32 hex characters of a random UUID.
 */
export const RANDOM_TOKEN = "webhooks_random_token()";
