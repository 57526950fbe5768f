import { withoutCredentials } from "../security/url-credentials";

/**
 * The statuses whose `Location` is followed. The POST is repeated as it was, same body and same
 * headers, whichever of them it is (303 included), as Chatwoot's `lib/safe_fetch` does: a
 * receiver moved to https or behind a trailing-slash rule still gets its webhook. Other 3xx
 * (300, 304, 305) are failures.
 */
const FOLLOWED = new Set([301, 302, 303, 307, 308]);

/** Whether an answer is a redirect to follow (a followed status with a `Location`). */
export function isFollowedRedirect(status: number, location: unknown): location is string {
  return FOLLOWED.has(status) && typeof location === "string" && location !== "";
}

/** Where a redirect leads, or why it cannot be followed. */
export type RedirectHop = { ok: true; url: string } | { ok: false; error: string };

/**
 * The next hop's URL: `Location` resolved against the URL that answered (relative ones too),
 * without fragment, and without any user or password it names: the only credentials sent are the
 * webhook's own, so a receiver cannot make us send others. Only http and https are followed.
 */
export function nextHop(current: string, location: string, status: number): RedirectHop {
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    return { ok: false, error: `HTTP ${status}: redirect to an invalid Location (${shown(location)})` };
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") return { ok: false, error: `HTTP ${status}: redirect to ${next.protocol} is not followed (Location: ${shown(location)})` };
  next.hash = "";
  next.username = "";
  next.password = "";
  return { ok: true, url: next.href };
}

/**
 * Same origin: scheme, host and port (default ports filled in). A hop to another origin loses
 * the Basic credentials (Chatwoot drops `authorization` and `cookie` there); coming back to the
 * webhook's origin later in the chain sends them again, since each hop is compared with the
 * webhook's own URL, not with the hop before.
 */
export function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** Why a redirect was not followed, for the delivery log. */
export function unfollowedRedirect(status: number, location: string, maxRedirects: number): string {
  if (maxRedirects === 0) return `HTTP ${status}: redirects are not followed (Location: ${shown(location)}); update the webhook URL or raise the maxRedirects option`;
  return `HTTP ${status}: more than ${maxRedirects} redirects (Location: ${shown(location)})`;
}

/** A `Location` as the log may show it: short, and without credentials. */
function shown(location: string): string {
  return withoutCredentials(location).replace(/\/\/[^/?#]*@/, "//").slice(0, 200);
}
