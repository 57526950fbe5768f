/** Longest accepted webhook URL, in characters and in UTF-8 bytes (the unique index holds ~2.7 KB). */
export const MAX_URL_LENGTH = 2048;

// Whitespace, control and format characters (zero-width, bidi overrides), lone surrogates,
// private-use characters, and backslashes (which WHATWG parsing silently turns into slashes).
const FORBIDDEN_CHARACTERS = /[\s\p{Cc}\p{Cf}\p{Cs}\p{Co}\\]/u;
// The scheme must be written out with `//` and a non-empty authority: WHATWG parsing would
// otherwise accept `http:example.com` or `http:/example.com` and guess the host.
const SCHEME_AND_AUTHORITY = /^https?:\/\/([^/?#]*)/i;

/**
 * Parse a webhook URL the way the management API accepts it, or return null: a string of at
 * most 2,048 characters (and bytes), `http:` or `https:`, a host, no spaces, control characters
 * or backslashes. Credentials are allowed, as Chatwoot allows them (`https://user:pass@host/…`,
 * sent as HTTP Basic auth): a user name, then optionally `:` and a password, with `@`, `:` and
 * `/` in them percent-encoded, so the one `@` ends them unambiguously. The string itself is what
 * gets stored.
 */
export function parseWebhookUrl(value: unknown): URL | null {
  if (typeof value !== "string" || value.length > MAX_URL_LENGTH || Buffer.byteLength(value) > MAX_URL_LENGTH || FORBIDDEN_CHARACTERS.test(value)) return null;
  const authority = SCHEME_AND_AUTHORITY.exec(value)?.[1];
  if (!authority || !acceptedUserinfo(authority)) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.hostname === "") return null;
  return url;
}

/**
 * The part before `@`, when there is one: exactly one `@`, and a user name before any `:` (a
 * password without a user would never be sent, as Chatwoot sends Basic auth only with a user).
 */
function acceptedUserinfo(authority: string): boolean {
  const at = authority.indexOf("@");
  if (at === -1) return true;
  if (authority.indexOf("@", at + 1) !== -1) return false;
  const user = authority.slice(0, at).split(":")[0];
  return user !== "";
}
