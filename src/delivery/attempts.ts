import axios, { type AxiosInstance } from "axios";
import type { Logger, ResolvedOptions } from "../options";
import { createAddressGuard } from "../security/address-guard";
import { activePreviousSecret } from "../security/signature";
import type { AttemptTrigger } from "../types";
import { USER_AGENT } from "../version";
import type { ClaimedRow } from "./claimed-row";
import { judge, type JudgedAttempt } from "./judge";
import { send } from "./send";

/** How long a keep-alive connection to a receiver may sit idle before it is closed. */
const IDLE_SOCKET_MS = 5_000;

export interface Attempts {
  /** Send one leased delivery and judge the outcome (never throws for the receiver's failures); not yet recorded. */
  attempt(row: ClaimedRow, trigger: AttemptTrigger, signal?: AbortSignal): Promise<JudgedAttempt>;
  /** Close the kept-alive sockets (at stop). */
  destroy(): void;
}

/**
 * One attempt of a delivery: the HTTP client (behind the address guard, unless the host brings
 * its own agents), the signed POST and what its outcome means by the retry policy.
 */
export function createAttempts(options: ResolvedOptions, logger: Logger): Attempts {
  const { clock } = options;
  const guard =
    options.httpAgent && options.httpsAgent
      ? null
      : createAddressGuard({
          policy: { allowPrivateNetwork: options.allowPrivateNetwork, allowedCidrs: options.allowedCidrs },
          lookup: options.lookup,
          keepAlive: true,
          // Per-webhook limits are ours; the agent's per-host pool must not make webhooks that
          // share a host wait behind one that hangs.
          maxSockets: options.concurrency,
          // Bounded sockets: busy ones are bounded by the slots; idle ones close after a few
          // seconds, and each agent holds at most twice the slots in all, so thousands of
          // endpoints cannot exhaust file descriptors.
          maxTotalSockets: 2 * options.concurrency,
          maxFreeSockets: options.concurrency,
          idleTimeoutMs: IDLE_SOCKET_MS,
        });
  const http: AxiosInstance = axios.create({
    httpAgent: options.httpAgent ?? guard?.httpAgent,
    httpsAgent: options.httpsAgent ?? guard?.httpsAgent,
    // Node's HTTP transport, named once rather than looked up per request; the response is read
    // as a stream (send.ts), so there is nothing for a response transform to do.
    adapter: "http",
    transformResponse: [],
  });
  const policy = { schedule: options.retrySchedule, botSchedule: options.botRetrySchedule, jitter: options.retryJitter, random: options.random };

  return {
    async attempt(row, trigger, signal) {
      const attemptedAt = clock();
      const outcome = await send(
        http,
        // Signed with the secrets of now, not of when the delivery was created: a retry after a rotation carries the new one.
        { url: row.url, secret: row.secret, previousSecret: activePreviousSecret(row.previous_secret, row.previous_secret_expires_at, attemptedAt), deliveryId: row.id, body: row.body as string },
        {
          timeoutMs: options.timeoutMs,
          userAgent: USER_AGENT,
          timestamp: Math.floor(attemptedAt.getTime() / 1000),
          signal,
          maxRedirects: options.maxRedirects,
          onRefused: (detail) => logger.warn({ deliveryId: row.id, webhookId: row.webhook_id, detail }, "delivery refused by the address policy"),
        },
      );
      return judge(row, outcome, attemptedAt, trigger, clock(), policy);
    },
    destroy() {
      guard?.destroy();
    },
  };
}
