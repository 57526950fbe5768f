import axios, { type AxiosInstance } from "axios";
import type { AttemptRecord, DeliveryOutcome, WebhooksContext } from "../context";
import { ConflictError, NotFoundError } from "../errors";
import { buildBodies, type OutboxEvent } from "../payloads";
import { createAddressGuard } from "../security/address-guard";
import type { AttemptTrigger, DeliveryStatus } from "../types";
import { USER_AGENT } from "../version";
import { createNotifier, type Notifier } from "./notifier";
import { createOutcomeRecorder } from "./outcome-recorder";
import { nextAttemptAt } from "./retry-schedule";
import { rowsOf } from "./rows";
import { isAddressRefusal, send } from "./send";
import { CLAIM_DELIVERIES, CLAIM_ONE } from "./sql/claim-deliveries";
import { FAIL_ORPHANED, INSERT_DELIVERIES, LOCK_PENDING_EVENTS, MARK_FANNED_OUT } from "./sql/fan-out";
import { PRUNE_EVENTS } from "./sql/prune";

/** Counts for a health endpoint. */
export interface DispatcherStats {
  /** Events recorded but not yet fanned out to webhooks. */
  queuedEvents: number;
  pending: number;
  failed: number;
  succeeded: number;
  /** Requests this dispatcher has in flight right now. */
  inFlight: number;
}

/** The sending side: fans events out, claims due deliveries, sends and records them. */
export interface Dispatcher {
  /** Start the loop (and LISTEN). Resolves once it runs. */
  start(): Promise<void>;
  /** Stop claiming, wait for attempts in flight (at most `timeoutMs`, default 10 s), record them. */
  stop(timeoutMs?: number): Promise<void>;
  /** Look for new work now (called after commits; also sends NOTIFY to other processes). */
  wake(): void;
  /** One manual attempt of a delivery now, same id and body. */
  redeliver(deliveryId: string): Promise<AttemptRecord>;
  stats(): Promise<DispatcherStats>;
  /** Fan out and claim once, without the loop; resolves when the claimed attempts are recorded. For tests and scripts. */
  runOnce(): Promise<{ fannedOut: number; attempted: number }>;
}

interface ClaimedRow {
  id: string;
  webhook_id: number;
  account_id: number;
  event: string;
  attempts: number;
  status: DeliveryStatus;
  next_attempt_at: Date | null;
  url: string;
  secret: string;
  body: string | null;
}

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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 500;

export function createDispatcher(context: WebhooksContext): Dispatcher {
  const { options, events } = context;
  const { dataSource, logger, clock } = options;
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
        });
  const http: AxiosInstance = axios.create({
    httpAgent: options.httpAgent ?? guard?.httpAgent,
    httpsAgent: options.httpsAgent ?? guard?.httpsAgent,
  });
  const recorder = createOutcomeRecorder({ dataSource, events, logger, clock, autoDisableAfterMs: options.autoDisableAfterMs });
  const notifier: Notifier | null = options.notify ? createNotifier(dataSource, logger) : null;

  const inFlight = new Map<number, number>();
  const active = new Set<Promise<void>>();
  let running = false;
  let loop: Promise<void> | null = null;
  let shutdown = new AbortController();
  /** There may be events to fan out (a commit, a notification, the poll). */
  let eventsDirty = true;
  /** There may be due deliveries beyond what was claimed (new fan-out, a capped claim, the poll). */
  let deliveriesDirty = true;
  /** Claim again only once this much room is free, so a busy dispatcher claims in batches, not one by one. */
  const lowWater = Math.max(1, Math.min(options.batchSize, Math.ceil(options.concurrency / 4)));
  let wakeUp: (() => void) | null = null;
  let wokenEarly = false;
  let nextPruneAt = 0;

  const rouse = () => {
    wokenEarly = true;
    wakeUp?.();
  };

  /** Wait for a wake-up or `ms`; true when the time ran out. */
  const sleep = (ms: number) =>
    new Promise<boolean>((resolve) => {
      if (wokenEarly) {
        wokenEarly = false;
        return resolve(false);
      }
      const finish = (timedOut: boolean) => {
        clearTimeout(timer);
        wakeUp = null;
        wokenEarly = false;
        resolve(timedOut);
      };
      const timer = setTimeout(() => finish(true), ms);
      wakeUp = () => finish(false);
    });

  const fanOut = (): Promise<number> =>
    dataSource.transaction(async (manager) => {
      const rows = (await manager.query(LOCK_PENDING_EVENTS, [options.batchSize])) as EventRow[];
      if (rows.length === 0) return 0;
      const now = clock();
      const ids = rows.map((row) => String(row.id));
      const inserted = rowsOf<{ event_id: string }>(await manager.query(INSERT_DELIVERIES, [ids, now]));
      const targeted = new Set(inserted.map((row) => String(row.event_id)));
      const wanted: OutboxEvent[] = rows
        .filter((row) => targeted.has(String(row.id)))
        .map((row) => ({
          id: String(row.id),
          accountId: row.account_id,
          inboxId: row.inbox_id,
          event: row.event,
          subjectType: row.subject_type,
          subjectId: row.subject_id,
          data: row.data,
          createdAt: row.created_at,
        }));
      const bodies = wanted.length > 0 ? await buildBodies(manager, wanted) : new Map<string, string | null>();
      await manager.query(MARK_FANNED_OUT, [ids, ids.map((id) => bodies.get(id) ?? null), now]);
      const orphaned = wanted.filter((event) => bodies.get(event.id) == null).map((event) => event.id);
      if (orphaned.length > 0) await manager.query(FAIL_ORPHANED, [orphaned, now]);
      return rows.length;
    });

  const claim = async (limit: number): Promise<ClaimedRow[]> => {
    const now = clock();
    const busy = [...inFlight.keys()];
    const full = busy.filter((id) => (inFlight.get(id) ?? 0) >= options.perEndpointConcurrency);
    const lease = new Date(now.getTime() + options.timeoutMs + options.leaseMarginMs);
    const result = await dataSource.query(CLAIM_DELIVERIES, [now, limit, options.perEndpointConcurrency, busy, busy.map((id) => inFlight.get(id)), full, lease]);
    return rowsOf<ClaimedRow>(result);
  };

  /** What an attempt's outcome means for the delivery. Pure apart from the clock and random source. */
  const judge = (row: ClaimedRow, outcome: DeliveryOutcome, attemptedAt: Date, trigger: AttemptTrigger): AttemptRecord & { gone: boolean } => {
    const attempt = row.attempts + 1;
    const gone = outcome.status === 410;
    let deliveryStatus: DeliveryStatus;
    let next: Date | null = null;
    if (outcome.ok) deliveryStatus = "succeeded";
    else if (gone || isAddressRefusal(outcome)) deliveryStatus = "failed";
    else if (trigger === "manual") {
      // A manual attempt that fails leaves the schedule as it was.
      deliveryStatus = row.status;
      next = row.status === "pending" ? row.next_attempt_at : null;
    } else {
      next = nextAttemptAt({ attempt, schedule: options.retrySchedule, now: clock(), jitter: options.retryJitter, random: options.random, status: outcome.status, retryAfter: outcome.retryAfter });
      deliveryStatus = next ? "pending" : "failed";
    }
    return {
      ...outcome,
      deliveryId: row.id,
      webhookId: row.webhook_id,
      accountId: row.account_id,
      event: row.event,
      attempt,
      trigger,
      deliveryStatus,
      nextAttemptAt: next,
      attemptedAt,
      gone,
    };
  };

  const attempt = async (row: ClaimedRow, trigger: AttemptTrigger): Promise<AttemptRecord & { gone: boolean }> => {
    const attemptedAt = clock();
    const outcome = await send(
      http,
      { url: row.url, secret: row.secret, deliveryId: row.id, body: row.body ?? "" },
      { timeoutMs: options.timeoutMs, userAgent: USER_AGENT, timestamp: Math.floor(attemptedAt.getTime() / 1000), signal: shutdown.signal },
    );
    return judge(row, outcome, attemptedAt, trigger);
  };

  const launch = (row: ClaimedRow): Promise<void> => {
    inFlight.set(row.webhook_id, (inFlight.get(row.webhook_id) ?? 0) + 1);
    const task: Promise<void> = attempt(row, "scheduled")
      .then((record) => {
        // Cut short by stop(): not the receiver's fault, so not recorded; the lease lets it be tried again.
        if (shutdown.signal.aborted && !record.ok) return;
        return recorder.record(record);
      })
      .catch((error: Error) => {
        logger.error({ err: error, deliveryId: row.id }, "delivery attempt crashed");
        events.emit("dispatcher.error", error);
      })
      .finally(() => {
        const before = inFlight.get(row.webhook_id) ?? 1;
        if (before <= 1) inFlight.delete(row.webhook_id);
        else inFlight.set(row.webhook_id, before - 1);
        active.delete(task);
        // A webhook that was at its limit may have due deliveries the last claim had to leave.
        if (before >= options.perEndpointConcurrency) deliveriesDirty = true;
        if (deliveriesDirty && (active.size === 0 || options.concurrency - active.size >= lowWater)) rouse();
      });
    active.add(task);
    return task;
  };

  const prune = async (): Promise<void> => {
    const cutoff = new Date(clock().getTime() - options.retentionMs);
    for (let round = 0; round < 20; round += 1) {
      const [, deleted] = (await dataSource.query(PRUNE_EVENTS, [cutoff, PRUNE_BATCH])) as [unknown, number];
      if (deleted < PRUNE_BATCH) break;
    }
  };

  /** One pass: prune when due, fan out new events, claim what there is room for. */
  const pass = async (): Promise<{ fannedOut: number; claimed: ClaimedRow[]; limit: number }> => {
    const now = clock().getTime();
    if (now >= nextPruneAt) {
      nextPruneAt = now + PRUNE_EVERY_MS;
      await prune();
    }
    let fannedOut = 0;
    if (eventsDirty) {
      eventsDirty = false;
      fannedOut = await fanOut();
      if (fannedOut === options.batchSize) eventsDirty = true;
      if (fannedOut > 0) deliveriesDirty = true;
    }
    const room = options.concurrency - active.size;
    const limit = Math.min(room, options.batchSize);
    if (!deliveriesDirty || limit <= 0 || (room < lowWater && active.size > 0)) return { fannedOut, claimed: [], limit };
    deliveriesDirty = false;
    const claimed = await claim(limit);
    // A full claim may have left due deliveries behind; webhooks at their limit are handled when
    // one of their attempts finishes (see launch).
    if (claimed.length === limit) deliveriesDirty = true;
    return { fannedOut, claimed, limit };
  };

  const run = async (): Promise<void> => {
    let failures = 0;
    while (running) {
      let more = false;
      try {
        const { claimed, limit } = await pass();
        for (const row of claimed) void launch(row);
        more = eventsDirty || (claimed.length === limit && limit > 0 && options.concurrency - active.size >= lowWater);
        failures = 0;
      } catch (error) {
        failures += 1;
        eventsDirty = true;
        deliveriesDirty = true;
        logger.error({ err: error }, "webhook dispatcher pass failed; retrying");
        events.emit("dispatcher.error", error as Error);
        await sleep(Math.min(100 * 2 ** failures, 5000));
        continue;
      }
      if (!more && (await sleep(options.pollIntervalMs))) {
        // The poll: the fallback for missed notifications, and how due retries are found.
        eventsDirty = true;
        deliveriesDirty = true;
      }
    }
  };

  return {
    async start() {
      if (running) return;
      running = true;
      shutdown = new AbortController();
      eventsDirty = true;
      deliveriesDirty = true;
      if (notifier) {
        await notifier.listen(() => {
          eventsDirty = true;
          rouse();
        });
      }
      loop = run();
    },

    async stop(timeoutMs = 10_000) {
      if (!running && !loop) return;
      running = false;
      rouse();
      await loop;
      loop = null;
      if (active.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.allSettled([...active]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
        clearTimeout(timer);
        if (active.size > 0) {
          shutdown.abort();
          await Promise.allSettled([...active]);
        }
      }
      await recorder.flush();
      await notifier?.close();
      guard?.destroy();
    },

    wake() {
      eventsDirty = true;
      rouse();
      notifier?.notify();
    },

    async redeliver(deliveryId) {
      if (!UUID.test(deliveryId)) throw new NotFoundError();
      const now = clock();
      const lease = new Date(now.getTime() + options.timeoutMs + options.leaseMarginMs);
      const [row] = rowsOf<ClaimedRow>(await dataSource.query(CLAIM_ONE, [deliveryId, now, lease]));
      if (!row) {
        const exists = (await dataSource.query(`SELECT 1 FROM webhook_deliveries WHERE id = $1`, [deliveryId])) as unknown[];
        if (exists.length === 0) throw new NotFoundError();
        throw new ConflictError("This delivery is being attempted right now; try again in a few seconds.");
      }
      const record = await attempt(row, "manual");
      await recorder.record(record);
      const { gone: _gone, ...result } = record;
      return result;
    },

    async stats() {
      const [row] = (await dataSource.query(`
        SELECT (SELECT count(*) FROM webhook_events WHERE fanned_out_at IS NULL)::int AS queued_events,
               count(*) FILTER (WHERE status = 'pending')::int AS pending,
               count(*) FILTER (WHERE status = 'failed')::int AS failed,
               count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded
        FROM webhook_deliveries`)) as Array<{ queued_events: number; pending: number; failed: number; succeeded: number }>;
      return { queuedEvents: row.queued_events, pending: row.pending, failed: row.failed, succeeded: row.succeeded, inFlight: active.size };
    },

    async runOnce() {
      eventsDirty = true;
      deliveriesDirty = true;
      const { fannedOut, claimed } = await pass();
      await Promise.all(claimed.map((row) => launch(row)));
      await recorder.flush();
      return { fannedOut, attempted: claimed.length };
    },
  };
}
