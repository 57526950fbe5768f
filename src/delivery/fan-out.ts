import type { DataSource, EntityManager } from "typeorm";
import { isEmbeddedDriver } from "../embedded/pglite-driver";
import type { Logger } from "../options";
import { buildBodies, type OutboxEvent } from "../payloads";
import { claimedFromInserted, type InsertedRow, type LeasedDelivery } from "./claimed-row";
import { rowsOf } from "./rows";
import type { Load } from "./scheduler";
import { DELETE_EVENTS, FAIL_ORPHANED, INSERT_DELIVERIES, LOCK_PENDING_EVENTS, MARK_FANNED_OUT } from "./sql/fan-out";
import { statementsOf } from "../tables";
import { APPLY_IN_ORDER } from "./sql/side-effects";

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
  /** Deliveries inserted leased to this dispatcher, with their bodies: to be sent now, no claim needed. */
  leased: LeasedDelivery[];
  /** Webhooks that got deliveries this dispatcher had no room for: they wait for a claim. */
  unleased: Set<number>;
}

/**
 * Fan a batch of events out to deliveries. `load` tells what this dispatcher has room for; it is
 * read once the events are locked, so attempts that finished meanwhile count as room.
 */
export type FanOut = (load: () => Load) => Promise<FanOutResult>;

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
 * for webhooks with room here are inserted already leased to this dispatcher and come back to be
 * sent straight away (no claim round trip); the rest wait for a claim. Events no webhook wanted
 * are deleted; deliveries of an event whose payload could not be built fail.
 */
export function createFanOut(settings: FanOutSettings): FanOut {
  const { dataSource, logger, clock, batchSize, leaseMs } = settings;
  const sql = statementsOf(dataSource);
  const options = dataSource.options as { poolSize?: number; extra?: { max?: number }; driver?: unknown };
  const poolSize = Number(options.poolSize ?? options.extra?.max ?? 10);
  // Payloads are read from committed rows: through the pool, their queries overlap and an error
  // cannot spoil the fan-out transaction. With a single session (PGlite, a pool of one or two)
  // they must share it, each try in a savepoint.
  const readThroughPool = !isEmbeddedDriver(options.driver) && poolSize >= 3;

  /**
   * The payloads of a batch, built together. Should that fail, each event is built alone, so one
   * bad event cannot hold up the rest: it gets no body and its deliveries fail.
   */
  const buildAll = async (manager: EntityManager, wanted: OutboxEvent[]): Promise<Map<string, string | null>> => {
    const build = (events: OutboxEvent[]) => (readThroughPool ? buildBodies(dataSource.manager, events) : manager.transaction((inner) => buildBodies(inner, events)));
    try {
      return await build(wanted);
    } catch (error) {
      logger.error({ err: error, events: wanted.length }, "building a batch of payloads failed; building them one by one");
      const bodies = new Map<string, string | null>();
      for (const event of wanted) {
        try {
          bodies.set(event.id, (await build([event])).get(event.id) ?? null);
        } catch (single) {
          logger.error({ err: single, eventId: event.id, event: event.event }, "could not build this event's payload; its deliveries fail");
          bodies.set(event.id, null);
        }
      }
      return bodies;
    }
  };

  return (load) =>
    dataSource.transaction(async (manager) => {
      const rows = (await manager.query(sql(LOCK_PENDING_EVENTS), [batchSize])) as EventRow[];
      if (rows.length === 0) return { events: 0, leased: [], unleased: new Set<number>() };
      // The new messages' side effects first, in order (their events are fanned out in a later
      // batch), so each message_created is built from the conversation as they leave it.
      const messages = settings.messageSideEffects ? rows.filter((row) => row.event === "message_created" && row.subject_type === "Message" && row.subject_id !== null) : [];
      if (messages.length > 0) await manager.query(sql(APPLY_IN_ORDER), [messages.map((row) => row.subject_id)]);
      const now = clock();
      const lease = new Date(now.getTime() + leaseMs);
      const ids = rows.map((row) => String(row.id));
      const { perWebhook, busy, held, room, perAccount, accounts, accountHeld } = load();
      const inserted = rowsOf<InsertedRow>(
        await manager.query(sql(INSERT_DELIVERIES), [ids, now, lease, perWebhook, busy, held, room, perAccount, accounts, accountHeld]),
      );
      const targeted = new Set(inserted.map((row) => String(row.event_id)));
      const wanted = rows.filter((row) => targeted.has(String(row.id))).map(toOutboxEvent);
      const bodies = wanted.length > 0 ? await buildAll(manager, wanted) : new Map<string, string | null>();
      const targetedIds = ids.filter((id) => targeted.has(id));
      await manager.query(sql(MARK_FANNED_OUT), [targetedIds, targetedIds.map((id) => bodies.get(id) ?? null), now]);
      // Events no webhook wanted are of no further use.
      if (targetedIds.length < ids.length) await manager.query(sql(DELETE_EVENTS), [ids.filter((id) => !targeted.has(id))]);
      const orphaned = wanted.filter((event) => bodies.get(event.id) == null).map((event) => event.id);
      if (orphaned.length > 0) await manager.query(sql(FAIL_ORPHANED), [orphaned, now]);
      const leased: LeasedDelivery[] = [];
      const unleased = new Set<number>();
      for (const row of inserted) {
        const body = bodies.get(String(row.event_id)) ?? null;
        if (body === null) continue;
        if (row.leased) leased.push({ lease, row: claimedFromInserted(row, body, now) });
        else unleased.add(row.webhook_id);
      }
      return { events: rows.length, leased, unleased };
    });
}
