import type { DataSource, EntityManager, QueryRunner } from "typeorm";
import { queryPrepared } from "../prepared";
import type { Logger } from "../options";
import { buildBodies, type OutboxEvent } from "../payloads";
import { claimedFromInserted, type InsertedRow, type LeasedDelivery } from "./claimed-row";
import { rowsOf } from "./rows";
import type { Load } from "./scheduler";
import { DELETE_EVENTS, FAIL_ORPHANED, INSERT_DELIVERIES, LOCK_PENDING_EVENTS, MARK_FANNED_OUT } from "./sql/fan-out";
import { statementsOf } from "../tables";

interface EventRow {
  id: string;
  account_id: number;
  inbox_id: number | null;
  event: OutboxEvent["event"];
  subject_type: OutboxEvent["subjectType"];
  subject_id: number | null;
  data: Record<string, unknown> | null;
  created_at: Date;
}

export interface FanOutSettings {
  dataSource: DataSource;
  logger: Logger;
  clock: () => Date;
  /** Events taken per fan-out. */
  batchSize: number;
  /** How long rows inserted leased are leased for. */
  leaseMs: number;
  /** Apply Chatwoot's side effects of the batch's new messages before fanning them out (`messageSideEffects`). */
  messageSideEffects: boolean;
}

export interface FanOutResult {
  /** Events taken (a full batch means more may wait). */
  events: number;
  /** Deliveries inserted leased to this dispatcher, with their bodies (already handed to `sendNow`). */
  leased: LeasedDelivery[];
  /** Webhooks that got deliveries this dispatcher had no room for: they wait for a claim. */
  unleased: Set<number>;
}

/**
 * Fan a batch of events out to deliveries. `load` tells what this dispatcher has room for; it is
 * read once the events are locked, so attempts that finished meanwhile count as room. `sendNow`
 * gets the rows inserted leased as soon as their bodies are built, before the transaction
 * writes the bodies and commits, each with a promise of whether it committed.
 */
export type FanOut = (load: () => Load, sendNow: (leased: LeasedDelivery[]) => void) => Promise<FanOutResult>;

const toOutboxEvent = (row: EventRow): OutboxEvent => ({
  id: String(row.id),
  accountId: row.account_id,
  inboxId: row.inbox_id,
  event: row.event,
  subjectType: row.subject_type,
  subjectId: row.subject_id,
  data: row.data,
  createdAt: row.created_at,
});

/**
 * Fan-out, in one short transaction: lock a batch of pending events, insert one delivery per
 * (event, webhook), build each wanted event's payload once and freeze it on the event. Deliveries
 * for webhooks with room here are inserted already leased to this dispatcher and handed on to be
 * sent as soon as their payloads are built, before the transaction commits (no claim round trip);
 * the rest wait for a claim. Events no webhook wanted are deleted; deliveries of an event whose
 * payload could not be built fail.
 */
export function createFanOut(settings: FanOutSettings): FanOut {
  const { dataSource, logger, clock, batchSize, leaseMs } = settings;
  const sql = statementsOf(dataSource);

  /**
   * The payloads of a batch, built in the fan-out's transaction, so they show what the side
   * effects just did. The quick way builds the whole batch with no savepoint; a failed query
   * spoils the transaction, so a batch whose build failed is fanned out again the careful way:
   * the batch in a savepoint, then each event alone in its own, so one bad event cannot hold up
   * the rest (it gets no body, and its deliveries fail).
   */
  const buildAll = async (manager: EntityManager, wanted: OutboxEvent[], careful: boolean): Promise<Map<string, string | null>> => {
    if (!careful) {
      try {
        return await buildBodies(manager, wanted);
      } catch (error) {
        throw new BuildFailed(error as Error);
      }
    }
    const inSavepoint = (events: OutboxEvent[]) => manager.transaction((inner) => buildBodies(inner, events));
    try {
      return await inSavepoint(wanted);
    } catch (error) {
      logger.error({ err: error, events: wanted.length }, "building a batch of payloads failed; building them one by one");
      const bodies = new Map<string, string | null>();
      for (const event of wanted) {
        try {
          bodies.set(event.id, (await inSavepoint([event])).get(event.id) ?? null);
        } catch (single) {
          logger.error({ err: single, eventId: event.id, event: event.event }, "could not build this event's payload; its deliveries fail");
          bodies.set(event.id, null);
        }
      }
      return bodies;
    }
  };

  const fanOut = (load: () => Load, sendNow: (leased: LeasedDelivery[]) => void, careful: boolean): Promise<FanOutResult> => {
    let settle: (committed: boolean) => void = () => undefined;
    const committed = new Promise<boolean>((resolve) => (settle = resolve));
    const transaction = dataSource.transaction(async (manager) => {
      // The hot statements as named prepared statements on the transaction's connection.
      const query = <T>(name: string, text: string, values: unknown[]) => queryPrepared<T>(manager.queryRunner as QueryRunner, `chatwoot_webhooks_${name}`, text, values);
      // The new messages' side effects are applied by the same statement, in order (the events
      // they record come after this batch), so each message_created is built from the
      // conversation as they leave it.
      const rows = await query<EventRow>("lock_events", sql(LOCK_PENDING_EVENTS), [batchSize, settings.messageSideEffects]);
      if (rows.length === 0) return { events: 0, leased: [], unleased: new Set<number>() };
      const now = clock();
      const lease = new Date(now.getTime() + leaseMs);
      const ids = rows.map((row) => String(row.id));
      const { perWebhook, busy, held, room, perAccount, accounts, accountHeld } = load();
      const inserted = rowsOf<InsertedRow>(
        await query("insert_deliveries", sql(INSERT_DELIVERIES), [ids, now, lease, perWebhook, busy, held, room, perAccount, accounts, accountHeld]),
      );
      const targeted = new Set(inserted.map((row) => String(row.event_id)));
      const wanted = rows.filter((row) => targeted.has(String(row.id))).map(toOutboxEvent);
      const bodies = wanted.length > 0 ? await buildAll(manager, wanted, careful) : new Map<string, string | null>();
      const leased: LeasedDelivery[] = [];
      const unleased = new Set<number>();
      for (const row of inserted) {
        const body = bodies.get(String(row.event_id)) ?? null;
        if (body === null) continue;
        if (row.leased) leased.push({ lease, row: claimedFromInserted(row, body, now), committed });
        else unleased.add(row.webhook_id);
      }
      // Sent while the rest of the transaction runs: freezing the bodies and the commit are not
      // on the way to the first byte. Should the commit fail, the batch is fanned out again with
      // the same delivery ids (see INSERT_DELIVERIES), so a receiver can drop the repeat, and
      // nothing is recorded for the rows that never existed.
      if (leased.length > 0) sendNow(leased);
      const targetedIds = ids.filter((id) => targeted.has(id));
      await query("mark_fanned_out", sql(MARK_FANNED_OUT), [targetedIds, targetedIds.map((id) => bodies.get(id) ?? null), now]);
      // Events no webhook wanted are of no further use.
      if (targetedIds.length < ids.length) await manager.query(sql(DELETE_EVENTS), [ids.filter((id) => !targeted.has(id))]);
      const orphaned = wanted.filter((event) => bodies.get(event.id) == null).map((event) => event.id);
      if (orphaned.length > 0) await manager.query(sql(FAIL_ORPHANED), [orphaned, now]);
      return { events: rows.length, leased, unleased };
    });
    return transaction.then(
      (result) => {
        settle(true);
        return result;
      },
      (error: unknown) => {
        settle(false);
        throw error;
      },
    );
  };

  return async (load, sendNow) => {
    try {
      return await fanOut(load, sendNow, false);
    } catch (error) {
      if (!(error instanceof BuildFailed)) throw error;
      logger.warn({ err: error.cause }, "building a batch of payloads failed; fanning the batch out again with each payload in a savepoint");
      return fanOut(load, sendNow, true);
    }
  };
}

/** The quick build of a batch failed: its transaction is rolled back (side effects too) and the batch taken again, carefully. */
class BuildFailed extends Error {
  constructor(readonly cause: Error) {
    super(`building a batch of payloads failed: ${cause.message}`);
  }
}
