import type { AttemptedDelivery } from "./judge";

/**
 * A leased delivery with what sending it takes, as a claim (`CLAIM_DELIVERIES`, `CLAIM_ONE`)
 * returns it and as fan-out hands on what it inserted leased. The one place this shape is
 * written: a column added to those statements' `RETURNING` is added here (or to
 * {@link AttemptedDelivery}) and reaches fan-out's rows through {@link InsertedRow}.
 */
export interface ClaimedRow extends AttemptedDelivery {
  url: string;
  secret: string;
  /** The webhook's secret before its last rotation, and until when it is still signed with. */
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  /** The event's frozen payload; null only when it could not be built (such rows are not sent). */
  body: string | null;
}

/**
 * A delivery as fan-out's insert returns it (`INSERT_DELIVERIES`): the claimed columns that a
 * new row has not got yet (its attempts, status, due time and the body built afterwards) are
 * left out; `leased` says whether it was inserted leased to this dispatcher, to be sent now.
 */
export type InsertedRow = Omit<ClaimedRow, "attempts" | "status" | "next_attempt_at" | "body"> & {
  event_id: string;
  leased: boolean;
};

/** A claimed delivery and the lease it was claimed with (the lease end that releasing it checks). */
export interface LeasedDelivery {
  row: ClaimedRow;
  lease: Date;
  /**
   * For a row fan-out hands on before its transaction has committed (see fan-out.ts): whether it
   * did. Its outcome is recorded only once this is true; a rolled-back row does not exist.
   */
  committed?: Promise<boolean>;
}

/** A row fan-out inserted leased, as a claim would have returned it: first attempt, due `now`. */
export function claimedFromInserted(inserted: InsertedRow, body: string, now: Date): ClaimedRow {
  const { event_id: _eventId, leased: _leased, ...row } = inserted;
  return { ...row, attempts: 0, status: "pending", next_attempt_at: now, body };
}
