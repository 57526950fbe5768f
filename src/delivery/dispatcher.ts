import { setMaxListeners } from "node:events";
import axios, { type AxiosInstance } from "axios";
import type { EntityManager } from "typeorm";
import type { AttemptRecord, DeliveryOutcome, WebhooksContext } from "../context";
import { ConflictError, NotFoundError } from "../errors";
import { buildBodies, type OutboxEvent } from "../payloads";
import { isEmbeddedDriver } from "../embedded/pglite-driver";
import { createAddressGuard } from "../security/address-guard";
import type { AttemptTrigger, DeliveryStatus } from "../types";
import { USER_AGENT } from "../version";
import { parseUuid } from "../ids";
import { backoffMs } from "./backoff";
import { emitSafely } from "./emit-safely";
import { createNotifier, type Notifier } from "./notifier";
import { createOutcomeRecorder } from "./outcome-recorder";
import { judge, type AttemptedDelivery } from "./judge";
import { rowsOf } from "./rows";
import { send } from "./send";
import { CLAIM_DELIVERIES, CLAIM_ONE, DELIVERY_STATE, RELEASE_LEASES } from "./sql/claim-deliveries";
import { DELETE_EVENTS, FAIL_ORPHANED, INSERT_DELIVERIES, LOCK_PENDING_EVENTS, MARK_FANNED_OUT } from "./sql/fan-out";
import { PARK_STRAYS, PRUNE_EVENTS } from "./sql/prune";
import { STATS } from "./sql/stats";

/** Counts for a health endpoint. */
export interface DispatcherStats {
  /** Events recorded but not yet fanned out to webhooks. */
  queuedEvents: number;
  pending: number;
  failed: number;
  succeeded: number;
  /** Requests this dispatcher has in flight right now. */
  inFlight: number;
  /** Deliveries this dispatcher has claimed and will start as slots free up. */
  buffered: number;
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

/** A leased delivery with what sending it takes. */
interface ClaimedRow extends AttemptedDelivery {
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

/** A delivery as fan-out inserted it (`leased`: to this dispatcher, to be sent now). */
interface InsertedDelivery {
  id: string;
  event_id: string;
  webhook_id: number;
  account_id: number;
  event: string;
  leased: boolean;
  url: string;
  secret: string;
  kind: number;
  subject_id: number | null;
}

/** A claimed delivery and the lease it was claimed with. */
interface Buffered {
  row: ClaimedRow;
  lease: Date;
}

/** Aborts every attempt in flight at stop(): one listener per attempt, so no listener limit. */
function shutdownController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

const PRUNE_EVERY_MS = 60_000;
/** Commits closer together than this are a burst ... */
const BURST_GAP_MS = 3;
/** ... and gather this long before the fan-out that takes them. */
const BURST_LINGER_MS = 10;
/** How long a keep-alive connection to a receiver may sit idle before it is closed. */
const IDLE_SOCKET_MS = 5_000;
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
  });
  const recorder = createOutcomeRecorder({
    dataSource,
    events,
    logger,
    clock,
    autoDisableAfterMs: options.autoDisableAfterMs,
    // Claims wait while too many results are unwritten; a written batch lets them go on.
    onWritten: () => {
      if (deliveriesDirty) rouse();
    },
  });
  const notifier: Notifier | null = options.notify ? createNotifier(dataSource, logger) : null;

  /** Attempts in flight, per webhook. */
  const inFlight = new Map<number, number>();
  /** Leased deliveries waiting here for a free slot of their webhook, per webhook. */
  const ready = new Map<number, Buffered[]>();
  let buffered = 0;
  const active = new Set<Promise<void>>();
  let running = false;
  let loop: Promise<void> | null = null;
  let shutdown = shutdownController();
  /** There may be events to fan out (a commit, a notification, the poll). */
  let eventsDirty = true;
  /** There may be due deliveries beyond what was claimed (new fan-out, a capped claim, the poll). */
  let deliveriesDirty = true;
  /**
   * Claims fill the slots and a buffer of the same size behind them, so attempts keep going while
   * the next claim is on its way. Claim again once this much of that room is free.
   */
  const lowWater = Math.max(1, Math.min(options.batchSize, Math.ceil(options.concurrency / 4)));
  const leaseMs = options.timeoutMs + options.leaseMarginMs;
  /** What one webhook may hold here: its slots and as many buffered behind them. */
  const perWebhook = 2 * options.perEndpointConcurrency;
  const poolSize = Number((dataSource.options as { poolSize?: number }).poolSize ?? (dataSource.options as { extra?: { max?: number } }).extra?.max ?? 10);
  const readThroughPool = !isEmbeddedDriver((dataSource.options as { driver?: unknown }).driver) && poolSize >= 3;
  let wakeUp: (() => void) | null = null;
  /** When the last commit woke the dispatcher, and the pending wake-up of a burst. */
  let lastWakeAt = -Infinity;
  let lingerTimer: NodeJS.Timeout | null = null;
  let wokenEarly = false;
  let nextPruneAt = 0;
  /**
   * The last claim, if it found nothing while leaving out webhooks at their limit: which, and
   * when. Until the poll interval has passed, a claim that would leave out at least those finds
   * nothing either, unless new rows came (fan-out for a webhook with room, leases handed back).
   */
  let emptyClaim: { excluded: number[]; at: number } | null = null;

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

  /**
   * Fan a batch of events out to deliveries, in one short transaction. Deliveries for webhooks
   * with room here are inserted already leased to this dispatcher and come back to be sent
   * straight away (no claim round trip); the rest wait for a claim.
   */
  const fanOut = (): Promise<{ events: number; leased: Buffered[]; unleased: Set<number> }> =>
    dataSource.transaction(async (manager) => {
      const rows = (await manager.query(LOCK_PENDING_EVENTS, [options.batchSize])) as EventRow[];
      if (rows.length === 0) return { events: 0, leased: [], unleased: new Set<number>() };
      const now = clock();
      const lease = new Date(now.getTime() + leaseMs);
      const ids = rows.map((row) => String(row.id));
      const busy = busyWebhooks();
      const inserted = rowsOf<InsertedDelivery>(
        await manager.query(INSERT_DELIVERIES, [ids, now, lease, perWebhook, busy, busy.map(held), Math.max(0, room())]),
      );
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
      const bodies = wanted.length > 0 ? await buildAll(manager, wanted) : new Map<string, string | null>();
      const targetedIds = ids.filter((id) => targeted.has(id));
      await manager.query(MARK_FANNED_OUT, [targetedIds, targetedIds.map((id) => bodies.get(id) ?? null), now]);
      // Events no webhook wanted are of no further use.
      if (targetedIds.length < ids.length) await manager.query(DELETE_EVENTS, [ids.filter((id) => !targeted.has(id))]);
      const orphaned = wanted.filter((event) => bodies.get(event.id) == null).map((event) => event.id);
      if (orphaned.length > 0) await manager.query(FAIL_ORPHANED, [orphaned, now]);
      const leased: Buffered[] = [];
      const unleased = new Set<number>();
      for (const row of inserted) {
        const body = bodies.get(String(row.event_id)) ?? null;
        if (body === null) continue;
        if (!row.leased) {
          unleased.add(row.webhook_id);
          continue;
        }
        leased.push({
          lease,
          row: { id: row.id, webhook_id: row.webhook_id, account_id: row.account_id, event: row.event, attempts: 0, status: "pending", next_attempt_at: now, url: row.url, secret: row.secret, body, kind: row.kind, subject_id: row.subject_id },
        });
      }
      return { events: rows.length, leased, unleased };
    });

  /** Deliveries a webhook holds here: in flight plus waiting in the buffer. */
  const held = (webhookId: number) => (inFlight.get(webhookId) ?? 0) + (ready.get(webhookId)?.length ?? 0);

  /** Webhooks with deliveries here (in flight or buffered). */
  const busyWebhooks = (): number[] => [...new Set([...inFlight.keys(), ...ready.keys()])];

  /** Webhooks holding all they may here: claims leave them out. */
  const fullWebhooks = (): number[] => busyWebhooks().filter((id) => held(id) >= perWebhook);

  const claim = async (limit: number, full: number[]): Promise<Buffered[]> => {
    const now = clock();
    const busy = busyWebhooks();
    const lease = new Date(now.getTime() + leaseMs);
    const result = await dataSource.query(CLAIM_DELIVERIES, [now, limit, perWebhook, busy, busy.map(held), full, lease]);
    return rowsOf<ClaimedRow>(result).map((row) => ({ row, lease }));
  };

  /** Give lost leases back at once (stop, or a buffered row that waited too long), instead of letting them run out. */
  const release = async (items: Buffered[]): Promise<void> => {
    if (items.length === 0) return;
    await dataSource
      .query(RELEASE_LEASES, [items.map((item) => item.row.id), items.map((item) => item.lease)])
      .catch((error: Error) => logger.warn({ err: error }, "could not release leases; they will run out by themselves"));
  };

  const attempt = async (row: ClaimedRow, trigger: AttemptTrigger): Promise<AttemptRecord & { gone: boolean }> => {
    const attemptedAt = clock();
    const outcome = await send(
      http,
      { url: row.url, secret: row.secret, deliveryId: row.id, body: row.body as string },
      {
        timeoutMs: options.timeoutMs,
        userAgent: USER_AGENT,
        timestamp: Math.floor(attemptedAt.getTime() / 1000),
        signal: shutdown.signal,
        onRefused: (detail) => logger.warn({ deliveryId: row.id, webhookId: row.webhook_id, detail }, "delivery refused by the address policy"),
      },
    );
    return judge(row, outcome, attemptedAt, trigger, clock(), { schedule: options.retrySchedule, botSchedule: options.botRetrySchedule, jitter: options.retryJitter, random: options.random });
  };

  const launch = (row: ClaimedRow): void => {
    inFlight.set(row.webhook_id, (inFlight.get(row.webhook_id) ?? 0) + 1);
    const task: Promise<void> = attempt(row, "scheduled")
      .then((record) => {
        // Cut short by stop(): not the receiver's fault, so not recorded; the lease lets it be tried again.
        if (shutdown.signal.aborted && !record.ok) return;
        // The slot is free as soon as the receiver answered; the lease covers the row until the
        // batched write lands (stop() waits for it).
        void recorder.record(record);
      })
      .catch((error: Error) => {
        logger.error({ err: error, deliveryId: row.id }, "delivery attempt crashed");
        emitSafely(events, logger, "dispatcher.error", error);
      })
      .finally(() => {
        const left = (inFlight.get(row.webhook_id) ?? 1) - 1;
        if (left <= 0) inFlight.delete(row.webhook_id);
        else inFlight.set(row.webhook_id, left);
        active.delete(task);
        pump();
        if (deliveriesDirty && room() >= lowWater) rouse();
      });
    active.add(task);
  };

  /** Room for more claims: the slots plus a buffer of the same size, less what is held. */
  const room = () => 2 * options.concurrency - active.size - buffered;

  /** Start buffered deliveries while slots are free, taking webhooks in turn. */
  const pump = (): void => {
    const stale: Buffered[] = [];
    let progress = true;
    while (progress && active.size < options.concurrency && buffered > 0 && !shutdown.signal.aborted) {
      progress = false;
      for (const [webhookId, queue] of ready) {
        if (active.size >= options.concurrency) break;
        if ((inFlight.get(webhookId) ?? 0) >= options.perEndpointConcurrency) continue;
        const item = queue.shift() as Buffered;
        buffered -= 1;
        if (queue.length === 0) ready.delete(webhookId);
        progress = true;
        // Only start what can finish inside its lease; otherwise hand it back.
        if (clock().getTime() + options.timeoutMs > item.lease.getTime()) stale.push(item);
        else launch(item.row);
      }
    }
    if (stale.length > 0) {
      deliveriesDirty = true;
      void release(stale).then(() => {
        emptyClaim = null;
      });
    }
  };

  /**
   * The payloads of a batch, built together. Should that fail, each event is built alone in a
   * savepoint, so one bad event cannot hold up the rest: it gets no body and its deliveries fail.
   */
  const buildAll = async (manager: EntityManager, wanted: OutboxEvent[]): Promise<Map<string, string | null>> => {
    // Payloads are read from committed rows: through the pool, their queries overlap and an
    // error cannot spoil the fan-out transaction. With a single session (PGlite, a pool of one or
    // two) they must share it, each try in a savepoint.
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

  /** Park stray deliveries of disabled webhooks; delete what retention allows, a small batch at a time, for at most a second per pass. */
  const prune = async (): Promise<void> => {
    await dataSource.query(PARK_STRAYS);
    const cutoff = new Date(clock().getTime() - options.retentionMs);
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      const [, deleted] = (await dataSource.query(PRUNE_EVENTS, [cutoff, PRUNE_BATCH])) as [unknown, number];
      if (deleted < PRUNE_BATCH) break;
    }
  };

  /** One pass: prune when due, fan out new events, claim what there is room for. */
  const pass = async (): Promise<{ fannedOut: number; claimed: number; limit: number; filled: boolean }> => {
    const now = clock().getTime();
    if (now >= nextPruneAt) {
      nextPruneAt = now + PRUNE_EVERY_MS;
      await prune();
    }
    let fannedOut = 0;
    let leased = 0;
    if (eventsDirty) {
      eventsDirty = false;
      const result = await fanOut();
      fannedOut = result.events;
      if (fannedOut === options.batchSize) eventsDirty = true;
      if (result.unleased.size > 0) deliveriesDirty = true;
      enqueue(result.leased);
      // Waiting rows for a webhook with room are worth a claim at once.
      if ([...result.unleased].some((id) => held(id) < perWebhook)) emptyClaim = null;
      leased = result.leased.length;
      pump();
    }
    const free = room();
    const limit = Math.min(free, options.batchSize);
    // Claim when there is room for a batch (or nothing is held), and not while results pile up
    // faster than they are written: a crash re-sends what was not recorded, so keep that small.
    const idle = active.size + buffered === 0;
    // Such a claim would only read past the full webhooks' rows again (costly behind a long
    // backlog); other webhooks' retries that fall due meanwhile wait for the poll at the latest.
    const full = fullWebhooks();
    if (emptyClaim && performance.now() - emptyClaim.at < options.pollIntervalMs && emptyClaim.excluded.every((id) => full.includes(id))) {
      return { fannedOut, claimed: leased, limit, filled: false };
    }
    if (!deliveriesDirty || limit <= 0 || (free < lowWater && !idle) || recorder.size() >= options.concurrency) return { fannedOut, claimed: leased, limit, filled: false };
    deliveriesDirty = false;
    const limitedPerWebhook = !idle;
    const claimed = await claim(limit, full);
    emptyClaim = claimed.length === 0 && full.length > 0 ? { excluded: full, at: performance.now() } : null;
    enqueue(claimed);
    // A webhook the claim filled up may have more due. Claim again at once (it is left out now,
    // being full), so one webhook's long backlog cannot keep the others waiting.
    const filled = claimed.some((item) => held(item.row.webhook_id) >= perWebhook);
    // A full claim may have left due deliveries behind; so may one held to what each webhook
    // had free: those are claimed as its attempts finish.
    if (claimed.length === limit || limitedPerWebhook || filled) deliveriesDirty = true;
    pump();
    return { fannedOut, claimed: leased + claimed.length, limit, filled };
  };

  const enqueue = (items: Buffered[]): void => {
    for (const item of items) {
      const queue = ready.get(item.row.webhook_id);
      if (queue) queue.push(item);
      else ready.set(item.row.webhook_id, [item]);
    }
    buffered += items.length;
  };

  const run = async (): Promise<void> => {
    let failures = 0;
    while (running) {
      let more = false;
      try {
        const { claimed, limit, filled } = await pass();
        more = eventsDirty || ((claimed === limit || filled) && claimed > 0 && room() >= lowWater);
        failures = 0;
      } catch (error) {
        failures += 1;
        eventsDirty = true;
        deliveriesDirty = true;
        logger.error({ err: error }, "webhook dispatcher pass failed; retrying");
        emitSafely(events, logger, "dispatcher.error", error as Error);
        await sleep(backoffMs(failures));
        continue;
      }
      if (!more && (await sleep(options.pollIntervalMs))) {
        // The poll: the fallback for missed notifications, and how due retries are found.
        eventsDirty = true;
        deliveriesDirty = true;
        emptyClaim = null;
      }
    }
  };

  /** Take back everything buffered and not started. */
  const drainBuffer = (): Buffered[] => {
    const items = [...ready.values()].flat();
    ready.clear();
    buffered = 0;
    return items;
  };

  return {
    async start() {
      if (running) return;
      running = true;
      shutdown = shutdownController();
      eventsDirty = true;
      deliveriesDirty = true;
      // LISTEN connects in the background; until it does, the poll finds the work.
      notifier?.listen(() => {
        eventsDirty = true;
        rouse();
      });
      loop = run();
    },

    async stop(timeoutMs = 10_000) {
      if (lingerTimer) clearTimeout(lingerTimer);
      lingerTimer = null;
      if (!running && !loop) return;
      running = false;
      rouse();
      await loop;
      loop = null;
      await release(drainBuffer());
      if (active.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.allSettled([...active]), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
        clearTimeout(timer);
        if (active.size > 0) {
          shutdown.abort();
          await Promise.allSettled([...active]);
        }
      }
      // Bounded too: with the database away, unwritten results are left to their leases.
      await recorder.flush(timeoutMs);
      await notifier?.close();
      guard?.destroy();
    },

    wake() {
      eventsDirty = true;
      // A running dispatcher here takes the work at once; others need telling only when none does.
      if (!running) notifier?.notify();
      const now = performance.now();
      const burst = now - lastWakeAt < BURST_GAP_MS;
      lastWakeAt = now;
      if (!burst) {
        rouse();
        return;
      }
      // Commits in a burst (the host saving in a loop): let them gather a moment, so one fan-out
      // takes many events at the cost of one (about a dozen queries whatever its size) instead of
      // racing the host's own writes event by event. A lone commit is sent at once.
      lingerTimer ??= setTimeout(() => {
        lingerTimer = null;
        rouse();
      }, BURST_LINGER_MS);
    },

    async redeliver(deliveryId) {
      if (parseUuid(deliveryId) === null) throw new NotFoundError();
      const now = clock();
      const lease = new Date(now.getTime() + leaseMs);
      const [row] = rowsOf<ClaimedRow>(await dataSource.query(CLAIM_ONE, [deliveryId, now, lease]));
      if (!row) {
        const [found] = (await dataSource.query(DELIVERY_STATE, [deliveryId])) as Array<{ has_body: boolean }>;
        if (!found) throw new NotFoundError();
        if (!found.has_body) throw new ConflictError("This delivery has no payload to send: its record was deleted before the payload was built.");
        throw new ConflictError("This delivery is being attempted right now; try again in a few seconds.");
      }
      const record = await attempt(row, "manual");
      await recorder.record(record);
      const { gone: _gone, ...result } = record;
      return result;
    },

    async stats() {
      const [row] = (await dataSource.query(STATS)) as Array<{ queued_events: number; pending: number; failed: number; succeeded: number }>;
      return { queuedEvents: row.queued_events, pending: row.pending, failed: row.failed, succeeded: row.succeeded, inFlight: active.size, buffered };
    },

    async runOnce() {
      eventsDirty = true;
      deliveriesDirty = true;
      const { fannedOut, claimed } = await pass();
      while (active.size > 0 || buffered > 0) {
        await Promise.allSettled([...active]);
        if (shutdown.signal.aborted) await release(drainBuffer()); // stopped meanwhile: nothing more starts
        pump();
      }
      await recorder.flush();
      return { fannedOut, attempted: claimed };
    },
  };
}
