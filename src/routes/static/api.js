/**
 * The management API client: every call carries the `api_access_token` header. A 401 calls
 * `onUnauthorized` so the page can ask for a token again.
 */

const TOKEN_KEY = "chatwoot-webhooks:access-token";
let memoryToken = null;

/** The saved access token, or null. Falls back to memory when storage is unavailable. */
export function loadToken() {
  try {
    return window.localStorage.getItem(TOKEN_KEY) ?? memoryToken;
  } catch {
    return memoryToken;
  }
}

export function saveToken(token) {
  memoryToken = token;
  try {
    window.localStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Private mode or storage disabled: the token lives until the page is closed.
  }
}

export function clearToken() {
  memoryToken = null;
  try {
    window.localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing stored.
  }
}

/** A non-2xx answer. `body` is the parsed JSON error (`{message, attributes}`, `{error}` or `{errors: [...]}`). */
export class ApiError extends Error {
  constructor(status, body) {
    const text = body && typeof body === "object" ? body.message || body.error || (Array.isArray(body.errors) ? body.errors[0] : null) : null;
    super(typeof text === "string" && text ? text : `The server answered ${status}.`);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

/** Which delivery logs there are: an account webhook's, an API inbox's and an agent bot's. */
export const LOG_KINDS = ["webhooks", "inboxes", "agent_bots"];

/** The path (under the account) that owns a delivery log: `logOwner("inboxes", 5)` is `/inboxes/5`. */
export function logOwner(kind, id) {
  if (!LOG_KINDS.includes(kind)) throw new TypeError(`No delivery log of kind ${kind}.`);
  return `/${kind}/${encodeURIComponent(id)}`;
}

/**
 * @param {{ base: string, accountId: string, onUnauthorized: (message: string) => void }} config
 */
export function createApi({ base, accountId, onUnauthorized }) {
  const root = `${base}/accounts/${encodeURIComponent(accountId)}`;

  async function request(method, path, body) {
    const headers = { Accept: "application/json" };
    const token = loadToken();
    if (token) headers.api_access_token = token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(root + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, { error: "Could not reach the server. Check your connection and try again." });
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = { error: `The server answered ${response.status} with a body that is not JSON.` };
      }
    }
    if (!response.ok) {
      const error = new ApiError(response.status, data);
      if (response.status === 401) onUnauthorized(error.message);
      throw error;
    }
    return data;
  }

  const webhook = (id) => `/webhooks/${encodeURIComponent(id)}`;
  const delivery = (owner, id) => `${owner}/deliveries/${encodeURIComponent(id)}`;

  return {
    listWebhooks: async () => (await request("GET", "/webhooks"))?.payload?.webhooks ?? [],
    createWebhook: async (fields) => (await request("POST", "/webhooks", { webhook: fields })).payload.webhook,
    updateWebhook: async (id, fields) => (await request("PATCH", webhook(id), { webhook: fields })).payload.webhook,
    deleteWebhook: (id) => request("DELETE", webhook(id)),
    /**
     * The delivery log of `owner`, a path from `logOwner()`.
     * @returns {Promise<{ deliveries: object[], meta: { page: number, per_page: number, count: number } }>}
     */
    listDeliveries: async (owner, { status = "", page = 1 } = {}) => {
      const query = new URLSearchParams();
      if (status) query.set("status", status);
      query.set("page", String(page));
      const data = await request("GET", `${owner}/deliveries?${query}`);
      return { deliveries: data?.payload?.deliveries ?? [], meta: data?.meta ?? { page, per_page: 0, count: 0 } };
    },
    getDelivery: async (owner, id) => (await request("GET", delivery(owner, id))).payload.delivery,
    /** A webhook's last 24 hours: `{ from, to, hours: [{ hour, succeeded, failed, retrying, waiting }], latency }`. */
    deliveryStats: async (id) => (await request("GET", `${webhook(id)}/delivery_stats`)).payload,
    /** The account's endpoints failing now. */
    failingEndpoints: async () => (await request("GET", "/webhooks/failing"))?.payload?.endpoints ?? [],
    redeliver: async (owner, id) => (await request("POST", `${delivery(owner, id)}/redeliver`))?.payload?.attempt ?? null,
    /** Start a bulk recovery of `owner`'s failed deliveries in `{since, until?}`, or get the one running: `{ recovery, created }`. */
    recover: async (owner, range) => {
      const data = await request("POST", `${owner}/recover`, range);
      return { recovery: data.payload.recovery, created: data.meta.created };
    },
    /** The newest bulk recovery of `owner` (`{ state, total, done, ... }`), or null. */
    recovery: async (owner) => (await request("GET", `${owner}/recover`))?.payload?.recovery ?? null,
    /** The last rotation of an owner's secret (`owner` from `logOwner()`), or null when never rotated. */
    secretRotation: async (owner) => (await request("GET", `${owner}/rotate_secret`))?.payload?.secret_rotation ?? null,
    /** A new secret (answered once) and the rotation: `{ secret, secret_rotation }`. */
    rotateSecret: async (owner, overlapSeconds) => (await request("POST", `${owner}/rotate_secret`, { overlap_seconds: overlapSeconds })).payload,
    /** End the overlap now; the rotation as it then stands. */
    endOverlap: async (owner) => (await request("DELETE", `${owner}/rotate_secret`))?.payload?.secret_rotation ?? null,
    /** The account's agent bots (a bare array, as Chatwoot answers). */
    listAgentBots: async () => {
      const data = await request("GET", "/agent_bots");
      return Array.isArray(data) ? data : [];
    },
    /** Inboxes for the picker, or null when the host has no inbox route. */
    listInboxes: async () => {
      try {
        const data = await request("GET", "/inboxes");
        const list = Array.isArray(data?.payload) ? data.payload : data?.payload?.inboxes;
        return Array.isArray(list) ? list : null;
      } catch (error) {
        if (error instanceof ApiError && error.status !== 401) return null;
        throw error;
      }
    },
  };
}
