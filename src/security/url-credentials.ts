/**
 * Credentials written into a target URL (`https://user:pass@host/hook`), the way n8n's and other
 * receivers' Basic-protected webhook URLs are configured. They are sent as HTTP Basic auth and
 * never as part of the URL: the request line carries no userinfo, and what we log or record is
 * the URL without it.
 */
export interface UrlCredentials {
  /** The URL with user and password removed (what is requested and what may be recorded). */
  url: string;
  /** `Basic <base64(user:password)>`, or null when the URL names no user. */
  authorization: string | null;
}

/**
 * Split a target URL into the URL to request and its Basic credentials. User and password are
 * percent-decoded first, as they were percent-encoded to fit in the URL (`p%40ss` is `p@ss`).
 * Only a user name turns auth on, as in Chatwoot (`lib/safe_fetch`): `https://:pass@host` sends
 * nothing. A string that is not a URL comes back as is, for the HTTP client to refuse.
 */
export function splitCredentials(target: string): UrlCredentials {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { url: target, authorization: null };
  }
  if (url.username === "" && url.password === "") return { url: target, authorization: null };
  const user = decode(url.username);
  const password = decode(url.password);
  url.username = "";
  url.password = "";
  return { url: url.href, authorization: user === "" ? null : `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}` };
}

/** A URL as it may be logged or shown in a delivery log: without user and password. */
export function withoutCredentials(target: string): string {
  return splitCredentials(target).url;
}

/**
 * Text a receiver sent back, with our Basic credentials taken out: a receiver that echoes request
 * headers (a request bin, a debugging endpoint) would otherwise put them in the delivery log. The
 * password itself never crosses the wire outside that header.
 */
export function withoutAuthorization(text: string, authorization: string | null): string {
  if (authorization === null) return text;
  const token = authorization.slice("Basic ".length);
  return text.includes(token) ? text.replaceAll(token, "[redacted]") : text;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
