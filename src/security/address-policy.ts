import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** Which destination addresses webhooks may be sent to (delivery.md §6). */
export interface AddressPolicy {
  /** Allow every address, private and loopback ones included (`SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true`). */
  allowPrivateNetwork: boolean;
  /** CIDRs or single addresses allowed although their range is forbidden, e.g. `"10.1.2.0/24"`. */
  allowedCidrs: string[];
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Address, number];

/**
 * Parse `allowedCidrs`. Throws a `TypeError` naming the bad entry, so a typo fails at start-up
 * instead of silently allowing nothing.
 */
export function parseAllowedCidrs(entries: readonly string[]): Cidr[] {
  return entries.map((entry) => {
    const [text, bits, ...rest] = String(entry).trim().split("/");
    // net.isIP first: ipaddr.js would also read "10" or "0x7f.1" as addresses.
    if (rest.length === 0 && isIP(text) !== 0) {
      try {
        const address = ipaddr.parse(text);
        const max = address.kind() === "ipv4" ? 32 : 128;
        if (bits === undefined) return [address, max];
        if (/^\d{1,3}$/.test(bits) && Number(bits) <= max) return [address, Number(bits)];
      } catch {
        // fall through to the TypeError
      }
    }
    throw new TypeError(`allowedCidrs: ${JSON.stringify(entry)} is not a CIDR or an IP address; write e.g. "10.1.2.0/24", "fd00::/8" or "192.168.1.10".`);
  });
}

// ISATAP interface ids (RFC 5214): 0000:5efe or 0200:5efe (u/g bits aside), then an IPv4 address.
function isIsatap(parts: number[]): boolean {
  return (parts[4] & 0xfcff) === 0 && parts[5] === 0x5efe;
}

function lastIPv4(parts: number[]): ipaddr.IPv4 {
  return new ipaddr.IPv4([parts[6] >> 8, parts[6] & 0xff, parts[7] >> 8, parts[7] & 0xff]);
}

/**
 * Forbidden by its range alone. Everything ipaddr.js does not call `"unicast"` is forbidden: the
 * private, loopback, link-local, shared, reserved, documentation, benchmarking, multicast and
 * broadcast ranges, and every IPv6 form that carries an IPv4 address (mapped, translated, NAT64,
 * 6to4, Teredo), whatever it carries. This is the rule request-filtering-agent applies too, so the
 * two never disagree. Two forms ipaddr.js calls unicast are added: IPv4-compatible `::a.b.c.d`
 * (deprecated; some stacks still tunnel `::a.b.c.d` to `a.b.c.d`) and ISATAP interface ids that embed
 * a forbidden IPv4 address.
 */
function forbiddenRange(address: Address): boolean {
  if (address.range() !== "unicast") return true;
  if (address.kind() === "ipv4") return false;
  const { parts } = address as ipaddr.IPv6;
  if (parts.slice(0, 6).every((part) => part === 0)) return true;
  if (isIsatap(parts)) return forbiddenRange(lastIPv4(parts));
  return false;
}

function insideAllowed(address: Address, cidrs: Cidr[]): boolean {
  // An IPv4 range also covers the IPv4-mapped IPv6 form of its addresses, and the other way round.
  const forms: Address[] = [address];
  if (address.kind() === "ipv4") forms.push((address as ipaddr.IPv4).toIPv4MappedAddress());
  else if ((address as ipaddr.IPv6).isIPv4MappedAddress()) forms.push((address as ipaddr.IPv6).toIPv4Address());
  return cidrs.some(([range, bits]) => forms.some((form) => form.kind() === range.kind() && form.match(range, bits)));
}

/**
 * Whether webhooks may not be sent to `ip` (a bare address as DNS returns it, no brackets).
 * Anything that is not an IP address is forbidden, whatever the policy. Otherwise
 * `allowPrivateNetwork` allows every address, and an address inside `allowedCidrs` is allowed.
 * Forbidden ranges: see delivery.md §6; documentation ranges (192.0.2/24, 198.51.100/24,
 * 203.0.113/24, 2001:db8::/32) are forbidden too, since nothing routable lives there.
 */
export function isForbiddenAddress(ip: string, policy: AddressPolicy): boolean {
  if (typeof ip !== "string" || isIP(ip) === 0) return true;
  let address: Address;
  try {
    address = ipaddr.parse(ip);
  } catch {
    return true;
  }
  if (policy.allowPrivateNetwork) return false;
  if (!forbiddenRange(address)) return false;
  return !insideAllowed(address, parseAllowedCidrs(policy.allowedCidrs));
}

/**
 * The create/update check: whether the URL's host is an address literal the policy forbids
 * (WHATWG `URL` has already turned decimal, octal and hex IPv4 forms into dotted quads, and keeps
 * IPv6 in brackets). `localhost` and `*.localhost` always mean loopback (RFC 6761), so they count
 * as literals. Other names return false: they are checked on every attempt, after DNS.
 */
export function forbiddenLiteralHost(url: URL, policy: AddressPolicy): boolean {
  const host = url.hostname.startsWith("[") && url.hostname.endsWith("]") ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) !== 0) return isForbiddenAddress(host, policy);
  const name = host.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) {
    return isForbiddenAddress("127.0.0.1", policy) && isForbiddenAddress("::1", policy);
  }
  return false;
}
