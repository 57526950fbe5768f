import type { IncomingHttpHeaders } from "node:http";
import { AuthError } from "../errors";

/** What {@link readAccessToken} looks at: an Express request or a bare `http.IncomingMessage` will do. */
export interface RequestWithHeaders {
  headers: IncomingHttpHeaders;
  /** Node's list of header names and values as they arrived; used when present (it keeps repeated headers apart). */
  rawHeaders?: readonly string[];
}

/** The Rack name every spelling of Chatwoot's token header is filed under (`HTTP_` dropped). */
const TOKEN_HEADER = "API_ACCESS_TOKEN";
const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * The access token of a request, read the way Chatwoot's Rails stack reads `api_access_token`:
 * from every header whose name, upper-cased with `-` turned into `_`, is `API_ACCESS_TOKEN`
 * (`api_access_token`, `Api-Access-Token`, `api-access-token`, …: Rack files them all under
 * `HTTP_API_ACCESS_TOKEN`, and proxies such as nginx drop names with underscores, so clients send
 * the hyphenated one). Also (ours) from `Authorization: Bearer <token>`. Values are trimmed; a
 * blank one counts as absent. Returns `null` when the request carries no token.
 *
 * Several headers with the same value are one token. Different values — two spellings, a repeated
 * header, or a token and a Bearer token that disagree — throw {@link AuthError} with code
 * `conflicting_tokens` (answered 401 `{"error":"Invalid Access Token"}`): which value a proxy set
 * and which one the client sent cannot be told apart, so neither is trusted (a spoofing guard of ours).
 *
 * ```ts
 * const token = readAccessToken(req); // string | null; throws AuthError "conflicting_tokens"
 * ```
 */
export function readAccessToken(req: RequestWithHeaders): string | null {
  const values = new Set<string>();
  const add = (value: string | undefined) => {
    const trimmed = value?.trim();
    if (trimmed) values.add(trimmed);
  };
  for (const [name, value] of headerPairs(req)) {
    if (name.toUpperCase().replaceAll("-", "_") === TOKEN_HEADER) add(value);
    else if (name.toLowerCase() === "authorization") add(BEARER.exec(value)?.[1]);
  }
  if (values.size > 1) throw AuthError.conflictingTokens();
  const [token] = values;
  return token ?? null;
}

/** Every header as a name and one value: from `rawHeaders` when Node kept them, else from `headers`. */
function headerPairs(req: RequestWithHeaders): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  const raw = req.rawHeaders;
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i], raw[i + 1]]);
    return pairs;
  }
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") pairs.push([name, value]);
    else if (Array.isArray(value)) for (const item of value) pairs.push([name, item]);
  }
  return pairs;
}
