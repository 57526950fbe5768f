import type { AxiosInstance } from "axios";
import type { Readable } from "node:stream";
import type { DeliveryOutcome } from "../context";
import { signatureHeaders } from "../security/signature";
import { splitCredentials, withoutAuthorization } from "../security/url-credentials";
import { isFollowedRedirect, nextHop, sameOrigin, unfollowedRedirect } from "./redirect";

/** What one attempt needs to know. */
export interface SendTarget {
  url: string;
  secret: string;
  /** The secret before a rotation, while its overlap lasts: deliveries then carry both signatures. */
  previousSecret?: string | null;
  deliveryId: string;
  body: string;
}

export interface SendSettings {
  timeoutMs: number;
  userAgent: string;
  /** Unix seconds of this attempt (from the injected clock). */
  timestamp: number;
  /** Cancels the attempt early (dispatcher shutdown). */
  signal?: AbortSignal;
  /** Redirects to follow at most; 0 (the default here) fails on the first one. */
  maxRedirects?: number;
  /**
   * Told the details of a refused address (which address, which name resolved to it), for the
   * server's log; the outcome, which the tenant sees, only says the address is not allowed.
   */
  onRefused?: (detail: string) => void;
}

/** What a tenant sees of a refused address: no address, no resolved name (no DNS oracle). */
export const ADDRESS_REFUSED_ERROR = "ERR_ADDRESS_FORBIDDEN: address not allowed; nothing was sent";

const RESPONSE_SNIPPET_BYTES = 4096;
/** Past this much response body we stop reading: a receiver gains nothing by sending more. */
const RESPONSE_READ_LIMIT = 1024 * 1024;

/**
 * POST one signed delivery. Never throws: every result, including a refused address, a timeout or
 * a reset connection, comes back as a {@link DeliveryOutcome}. Success is any 2xx.
 *
 * Redirects are followed up to `maxRedirects` hops (0: none), each one a new POST of the same
 * body and headers through the same HTTP client, so every hop's host passes the address guard
 * before anything is sent to it. Credentials in the URL go as Basic auth, to hops of the
 * webhook's own origin only. One deadline covers the whole chain.
 */
export async function send(http: AxiosInstance, target: SendTarget, settings: SendSettings): Promise<DeliveryOutcome> {
  const started = performance.now();
  // One controller and one timer per attempt (cheaper than AbortSignal.timeout + AbortSignal.any
  // at thousands of attempts a second). The deadline covers the whole exchange, body included.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, settings.timeoutMs);
  const cancel = () => controller.abort();
  if (settings.signal?.aborted) cancel();
  else settings.signal?.addEventListener("abort", cancel, { once: true });
  const { url: origin, authorization } = splitCredentials(target.url);
  const signed = signatureHeaders({
    secret: target.secret,
    previousSecret: target.previousSecret,
    deliveryId: target.deliveryId,
    timestamp: settings.timestamp,
    body: target.body,
    userAgent: settings.userAgent,
  });
  const maxRedirects = settings.maxRedirects ?? 0;
  let url = origin;
  let redirects = 0;
  // The last hop's URL once a redirect was followed (never with credentials: see nextHop).
  const finalUrl = () => (redirects > 0 ? url : null);
  try {
    for (;;) {
      const headers = authorization !== null && sameOrigin(url, origin) ? { ...signed, authorization } : signed;
      const response = await http.post<Readable>(url, target.body, {
        headers,
        signal: controller.signal,
        maxRedirects: 0,
        proxy: false,
        responseType: "stream",
        decompress: true,
        validateStatus: () => true,
        transformRequest: [(data: unknown) => data],
      });
      const status = response.status;
      const location: unknown = response.headers.location;
      if (isFollowedRedirect(status, location) && redirects < maxRedirects) {
        // Read the redirect's own body to its end, so its keep-alive socket can serve again.
        await readSnippet(response.data, controller.signal);
        const hop = nextHop(url, location, status);
        if (!hop.ok) return { ok: false, status, durationMs: elapsed(started), error: hop.error, responseBody: null, retryAfter: null, finalUrl: finalUrl() };
        url = hop.url;
        redirects += 1;
        continue;
      }
      const snippet = await readSnippet(response.data, controller.signal);
      const ok = status >= 200 && status < 300;
      const retryAfter = response.headers["retry-after"];
      return {
        ok,
        status,
        durationMs: elapsed(started),
        error: ok ? null : describeStatus(status, location, maxRedirects),
        responseBody: snippet === null ? null : withoutAuthorization(snippet, authorization),
        retryAfter: typeof retryAfter === "string" ? retryAfter : null,
        finalUrl: finalUrl(),
      };
    }
  } catch (error) {
    return { ok: false, status: null, durationMs: elapsed(started), error: describeError(error, settings, timedOut), responseBody: null, retryAfter: null, finalUrl: finalUrl() };
  } finally {
    clearTimeout(timer);
    settings.signal?.removeEventListener("abort", cancel);
  }
}

function elapsed(started: number): number {
  return Math.max(0, Math.round(performance.now() - started));
}

function describeStatus(status: number, location: unknown, maxRedirects: number): string {
  return isFollowedRedirect(status, location) ? unfollowedRedirect(status, location, maxRedirects) : `HTTP ${status}`;
}

function describeError(error: unknown, settings: SendSettings, timedOut: boolean): string {
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (timedOut || err.code === "ECONNABORTED" || err.code === "ETIMEDOUT") return `timeout: no response within ${settings.timeoutMs} ms`;
  const cause = err.cause?.code === "ERR_ADDRESS_FORBIDDEN" ? err.cause : err;
  if (cause.code === "ERR_ADDRESS_FORBIDDEN") {
    settings.onRefused?.(withoutNul(cause.message ?? String(error)));
    return ADDRESS_REFUSED_ERROR;
  }
  const message = cause.message ?? String(error);
  return withoutNul(cause.code && !message.includes(cause.code) ? `${cause.code}: ${message}` : message);
}

/** Whether an error outcome came from the address policy (never worth retrying as is). */
/**
 * The attempt never left this process because the process ran out of a local resource (file
 * descriptors, buffers): not the receiver's doing, so it is not counted against the delivery.
 */
export function isLocalFault(outcome: DeliveryOutcome): boolean {
  return outcome.status === null && /^(EMFILE|ENFILE|ENOBUFS|ENOMEM)\b/.test(outcome.error ?? "");
}

export function isAddressRefusal(outcome: DeliveryOutcome): boolean {
  return outcome.status === null && outcome.error !== null && outcome.error.includes("ERR_ADDRESS_FORBIDDEN");
}

/** Keep the first 4 KB of the response and drain the rest (so the keep-alive socket is reusable). */
function readSnippet(stream: Readable, signal: AbortSignal): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let read = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stream.off("data", onData);
      signal.removeEventListener("abort", onAbort);
      // A body cut short does not change the verdict: the status line already arrived.
      resolve(chunks.length === 0 ? "" : withoutNul(Buffer.concat(chunks).toString("utf8")));
    };
    const onData = (buffer: Buffer) => {
      read += buffer.length;
      if (kept < RESPONSE_SNIPPET_BYTES) {
        const piece = buffer.subarray(0, RESPONSE_SNIPPET_BYTES - kept);
        chunks.push(piece);
        kept += piece.length;
      }
      if (read > RESPONSE_READ_LIMIT) {
        stream.destroy();
        finish();
      }
    };
    const onAbort = () => {
      stream.destroy();
      finish();
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    stream.on("data", onData);
    stream.once("end", finish);
    stream.once("error", finish);
    stream.once("close", finish);
  });
}

/** PostgreSQL text cannot hold U+0000; a receiver's stray NUL must not block recording. */
function withoutNul(text: string): string {
  return text.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text;
}
