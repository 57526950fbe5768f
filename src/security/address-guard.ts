import * as dns from "node:dns";
import type { Agent as HttpAgent } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { isIP, Socket, type LookupFunction, type TcpNetConnectOpts } from "node:net";
import type { Duplex } from "node:stream";
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent, type RequestFilteringAgentOptions } from "request-filtering-agent";
import { AddressForbiddenError } from "./address-forbidden-error";
import { isForbiddenAddress, parseAllowedCidrs, type AddressPolicy } from "./address-policy";

/** Options of {@link createAddressGuard}. */
export interface AddressGuardOptions {
  /** Which addresses may be connected to. */
  policy: AddressPolicy;
  /** DNS lookup (injectable for tests). Default `dns.lookup`. */
  lookup?: LookupFunction;
  /** Reuse connections between attempts. Default true. */
  keepAlive?: boolean;
  /** Sockets per host and port. Default: Node's (unlimited). */
  maxSockets?: number;
  /** Sockets of each agent in all, busy and idle. Default: Node's (unlimited). */
  maxTotalSockets?: number;
  /** Idle keep-alive sockets kept per host and port. Default: Node's (256). */
  maxFreeSockets?: number;
  /** Close a keep-alive socket idle this long (ms). Default: never. */
  idleTimeoutMs?: number;
}

/** Agents to pass to axios as `httpAgent` / `httpsAgent`. */
export interface AddressGuard {
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
  /** Close every pooled socket of both agents. */
  destroy(): void;
}

type ConnectCallback = (error: Error | null, socket: Duplex) => void;
type LookupCallback = Parameters<LookupFunction>[2];

/**
 * Wrap a DNS lookup so that it refuses a host when ANY of its addresses is forbidden (a name with
 * one public and one private address is refused), and only then hands the addresses on, in the
 * shape the caller asked for (`all: true` → the list, otherwise the first address).
 */
export function guardLookup(policy: AddressPolicy, lookup: LookupFunction = dns.lookup as LookupFunction): LookupFunction {
  return (hostname, options, callback: LookupCallback) => {
    const wantsAll = options?.all === true;
    lookup(hostname, { ...options, all: true }, (error, answer, answerFamily) => {
      if (error) {
        callback(error, wantsAll ? [] : "", undefined);
        return;
      }
      // A resolver that ignored `all: true` answers a single address.
      const addresses: dns.LookupAddress[] = typeof answer === "string" ? [{ address: answer, family: answerFamily ?? isIP(answer) }] : [...(answer ?? [])];
      if (addresses.length === 0) {
        callback(Object.assign(new Error(`DNS lookup of ${hostname} returned no address.`), { code: "ENOTFOUND", hostname }), wantsAll ? [] : "", undefined);
        return;
      }
      const refused = addresses.find(({ address }) => isForbiddenAddress(address, policy));
      if (refused) {
        callback(new AddressForbiddenError(String(refused.address), hostname), wantsAll ? [] : "", undefined);
        return;
      }
      if (wantsAll) callback(null, addresses);
      else callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** A destroyed socket carrying the refusal, the way agents report a failed connection. */
function refusedSocket(error: Error, callback?: ConnectCallback): Socket {
  const socket = new Socket();
  if (callback) callback(error, socket);
  else socket.destroy(error);
  return socket;
}

/** The check both agents run first: a literal address host never reaches a DNS lookup. */
function refuseLiteral(host: string | undefined, policy: AddressPolicy): AddressForbiddenError | undefined {
  const bare = host?.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (bare !== undefined && isIP(bare) !== 0 && isForbiddenAddress(bare, policy)) return new AddressForbiddenError(bare);
  return undefined;
}

/** request-filtering-agent's own options, agreeing with the policy (see createAddressGuard). */
function filterOptions(policy: AddressPolicy): RequestFilteringAgentOptions {
  const open = policy.allowPrivateNetwork || policy.allowedCidrs.length > 0;
  return { allowPrivateIPAddress: open, allowMetaIPAddress: open, allowIPAddressList: [], denyIPAddressList: [] };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeScript's mixin rule
type FilteringAgent = new (...args: any[]) => {
  createConnection(options: TcpNetConnectOpts, callback?: ConnectCallback): Duplex | Socket;
};

/** request-filtering-agent's HTTP or HTTPS agent, with literal hosts checked first and our lookup wrapper installed. */
function guarded<Base extends FilteringAgent>(Agent: Base, policy: AddressPolicy, guardedLookup: LookupFunction) {
  return class extends Agent {
    createConnection(options: TcpNetConnectOpts, callback?: ConnectCallback): Duplex | Socket {
      const refusal = refuseLiteral(options.host, policy);
      if (refusal) return refusedSocket(refusal, callback);
      return super.createConnection({ ...options, lookup: guardedLookup }, callback);
    }
  };
}

/**
 * Keep-alive HTTP and HTTPS agents that enforce the address policy on every new connection.
 *
 * The check runs inside the socket's own DNS lookup (request-filtering-agent's design), so the
 * socket connects to exactly the addresses that were checked: no second lookup, no DNS rebinding.
 * Our lookup wrapper runs first and refuses when any address is forbidden, with an
 * {@link AddressForbiddenError} (`code` `ERR_ADDRESS_FORBIDDEN`); literal address hosts are
 * checked before anything else. request-filtering-agent's own check stays on as a second line
 * when the policy allows nothing private. Its allow/deny CIDR lists are not used: the package
 * warns on the console whenever an address is compared with a CIDR of the other family, so
 * `allowedCidrs` and the extra forbidden forms are enforced by our wrapper alone.
 */
export function createAddressGuard(opts: AddressGuardOptions): AddressGuard {
  const policy: AddressPolicy = { allowPrivateNetwork: opts.policy.allowPrivateNetwork === true, allowedCidrs: [...opts.policy.allowedCidrs] };
  parseAllowedCidrs(policy.allowedCidrs); // fail fast on a typo
  for (const key of ["maxSockets", "maxTotalSockets", "maxFreeSockets", "idleTimeoutMs"] as const) {
    const value = opts[key];
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new TypeError(`createAddressGuard(): ${key} must be a positive integer, got ${String(value)}.`);
  }
  const lookup = guardLookup(policy, opts.lookup);
  const agentOptions = {
    keepAlive: opts.keepAlive ?? true,
    // axios sets TCP keep-alive to 60 s on every request's socket and the agent sets its own
    // interval whenever a socket goes back to the pool: with the same 60 s, neither has to make
    // the system call again (with Node's default of 1 s, two per request).
    keepAliveMsecs: 60_000,
    ...(opts.maxSockets !== undefined ? { maxSockets: opts.maxSockets } : {}),
    ...(opts.maxTotalSockets !== undefined ? { maxTotalSockets: opts.maxTotalSockets } : {}),
    ...(opts.maxFreeSockets !== undefined ? { maxFreeSockets: opts.maxFreeSockets } : {}),
    // Node's agent destroys an idle pooled socket when this runs out (a busy one only hears of
    // it; attempts have their own deadline).
    ...(opts.idleTimeoutMs !== undefined ? { timeout: opts.idleTimeoutMs } : {}),
    ...filterOptions(policy),
  };
  const httpAgent = new (guarded(RequestFilteringHttpAgent, policy, lookup))(agentOptions) as unknown as HttpAgent;
  const httpsAgent = new (guarded(RequestFilteringHttpsAgent, policy, lookup))(agentOptions) as unknown as HttpsAgent;
  return {
    httpAgent,
    httpsAgent,
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
