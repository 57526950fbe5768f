import { forbiddenLiteralHost, type AddressPolicy } from "../security/address-policy";
import { parseWebhookUrl } from "./webhook-url";

/** Why a well-formed URL was refused: its host is a private address (or `localhost`). */
export const PRIVATE_ADDRESS_REASON =
  "private address refused: the host is a private, loopback, link-local or reserved address (or localhost); " +
  "to allow it, set SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true or the allowPrivateNetwork option, or add its range to the allowedCidrs option";

/**
 * Whether a URL may be stored as a delivery target: a webhook's `url`, an API channel's
 * `webhook_url`, an agent bot's `outgoing_url`. The same rules for all three: an http(s) URL of
 * at most 2,048 characters, no spaces or control characters, credentials only as `user[:pass]@`
 * (sent as Basic auth), and no literal private address (or `localhost`) unless the policy allows
 * it. Host names are checked again on every attempt, after DNS.
 */
export function isAcceptedTargetUrl(value: unknown, policy: AddressPolicy): value is string {
  const url = parseWebhookUrl(value);
  return url !== null && !forbiddenLiteralHost(url, policy);
}
