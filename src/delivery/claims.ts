import type { DataSource } from "typeorm";
import { ConflictError, NotFoundError } from "../errors";
import { parseUuid } from "../ids";
import type { Logger } from "../options";
import type { ClaimedRow, LeasedDelivery } from "./claimed-row";
import { rowsOf } from "./rows";
import type { Load } from "./scheduler";
import { CLAIM_DELIVERIES, CLAIM_ONE, DELIVERY_STATE, RELEASE_LEASES, RELEASE_MANUAL } from "./sql/claim-deliveries";
import { statementsOf } from "../tables";

/**
 * The empty-claim skip rule. A claim that found nothing while leaving out webhooks at their limit
 * is remembered: until a poll interval has passed, a claim that would leave out at least those
 * finds nothing either (it would only read past the full webhooks' rows again, costly behind a
 * long backlog), unless new rows came: fan-out for a webhook with room, leases handed back. Other
 * webhooks' retries that fall due meanwhile wait for the poll at the latest.
 */
export interface EmptyClaimRule {
  /** Whether a claim leaving out `full` would find nothing, as far as the last claim tells. */
  pointless(full: readonly number[]): boolean;
  /** What a claim leaving out `full` found. */
  noteClaim(found: number, full: readonly number[]): void;
  /** New rows may be due (or the poll came): the next claim is worth making. */
  forget(): void;
}

/** The rule with its own clock (monotonic milliseconds; `performance.now` by default). */
export function createEmptyClaimRule(pollIntervalMs: number, now: () => number = () => performance.now()): EmptyClaimRule {
  let last: { excluded: readonly number[]; at: number } | null = null;
  return {
    pointless: (full) => last !== null && now() - last.at < pollIntervalMs && last.excluded.every((id) => full.includes(id)),
    noteClaim(found, full) {
      last = found === 0 && full.length > 0 ? { excluded: [...full], at: now() } : null;
    },
    forget() {
      last = null;
    },
  };
}

export interface ClaimSettings {
  dataSource: DataSource;
  logger: Logger;
  clock: () => Date;
  /** How long a claim leases its rows: the attempt's timeout plus a margin. */
  leaseMs: number;
  pollIntervalMs: number;
}

export interface Claims extends EmptyClaimRule {
  /** Lease up to `limit` due deliveries, leaving out full webhooks and keeping each within what it may hold. */
  claim(limit: number, load: Load): Promise<LeasedDelivery[]>;
  /** Give leases back at once (stop, or a buffered row that waited too long) instead of letting them run out; never throws. */
  release(items: readonly LeasedDelivery[]): Promise<void>;
  /** Lease one delivery for a manual attempt, whatever its status; a sentence saying why when it cannot be. */
  claimOne(deliveryId: string): Promise<LeasedDelivery>;
  /** Give back the lease of a manual attempt that was not made; never throws. */
  releaseOne(item: LeasedDelivery): Promise<void>;
}

/** Claiming and handing back leases on due deliveries (`SKIP LOCKED`, so dispatchers can run side by side). */
export function createClaims(settings: ClaimSettings): Claims {
  const { dataSource, logger, clock, leaseMs } = settings;
  const sql = statementsOf(dataSource);
  const rule = createEmptyClaimRule(settings.pollIntervalMs);

  return {
    ...rule,

    async claim(limit, load) {
      const now = clock();
      const lease = new Date(now.getTime() + leaseMs);
      const result = await dataSource.query(sql(CLAIM_DELIVERIES), [
        now, limit, load.perWebhook, load.busy, load.held, load.full, lease, load.perAccount, load.fullAccounts, load.accounts, load.accountHeld,
      ]);
      const claimed = rowsOf<ClaimedRow>(result).map((row) => ({ row, lease }));
      rule.noteClaim(claimed.length, load.full);
      return claimed;
    },

    async release(items) {
      if (items.length === 0) return;
      await dataSource
        .query(sql(RELEASE_LEASES), [items.map((item) => item.row.id), items.map((item) => item.lease)])
        .catch((error: Error) => logger.warn({ err: error }, "could not release leases; they will run out by themselves"));
    },

    async releaseOne({ row, lease }) {
      await dataSource
        .query(sql(RELEASE_MANUAL), [row.id, lease])
        .catch((error: Error) => logger.warn({ err: error }, "could not release a lease; it will run out by itself"));
    },

    async claimOne(deliveryId) {
      if (parseUuid(deliveryId) === null) throw new NotFoundError();
      const now = clock();
      const lease = new Date(now.getTime() + leaseMs);
      const [row] = rowsOf<ClaimedRow>(await dataSource.query(sql(CLAIM_ONE), [deliveryId, now, lease]));
      if (row) return { row, lease };
      const [found] = (await dataSource.query(sql(DELIVERY_STATE), [deliveryId])) as Array<{ has_body: boolean; waiting_for: string | null }>;
      if (!found) throw new NotFoundError();
      if (!found.has_body) throw new ConflictError("This delivery has no payload to send: its record was deleted before the payload was built.");
      if (found.waiting_for) {
        throw new ConflictError(`This delivery waits for delivery ${found.waiting_for}, an earlier event of the same conversation: this webhook receives them in order.`);
      }
      throw new ConflictError("This delivery is being attempted right now; try again in a few seconds.");
    },
  };
}
