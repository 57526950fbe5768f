import { isIP } from "node:net";
import { WebhooksError } from "../errors";

/** The `code` of {@link AddressForbiddenError}: a refused attempt is recorded, never retried. */
export const ADDRESS_FORBIDDEN = "ERR_ADDRESS_FORBIDDEN";

/**
 * A webhook's host is, or resolves to, an address the policy forbids. Raised inside the HTTP
 * agent before any connection is opened; axios passes its `code` through.
 */
export class AddressForbiddenError extends WebhooksError {
  /** The refused address (or the non-address a resolver answered). */
  readonly address: string;
  /** The host name that was resolved; equals `address` for a literal. */
  readonly hostname: string;

  constructor(address: string, hostname: string = address) {
    const of = hostname === address ? "" : ` (${hostname})`;
    const message =
      isIP(address) === 0
        ? `Webhook host ${hostname} resolved to ${JSON.stringify(address)}, which is not an IP address; nothing was sent.`
        : `Webhook address ${address}${of} is not allowed: it is private, loopback, link-local or reserved, so nothing was sent. ` +
          `To allow it, set SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true (or the allowPrivateNetwork option) to allow all private networks, ` +
          `or add "${address.replace(/%.*$/, "")}/${isIP(address) === 4 ? 32 : 128}" (or its network) to the allowedCidrs option.`;
    super(message, 422, ADDRESS_FORBIDDEN);
    this.address = address;
    this.hostname = hostname;
  }
}
