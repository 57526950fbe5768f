import type { DataSource } from "typeorm";
import type { WebhooksEvents } from "../context";
import type { Logger } from "../options";
import { emitSafely } from "./emit-safely";
import { backoffMs } from "./backoff";
import { DISABLE_WEBHOOKS, RECORD_OUTCOMES } from "./sql/record-outcomes";
import type { JudgedAttempt } from "./judge";
import { rowsOf } from "./rows";
import { createTargetEffects } from "./target-effects";
import { recordFinalUrls } from "./final-urls";
import { statementsOf } from "../tables";

/** How many attempts one round trip records at most, and how long the first one waits for company. */
const MAX_BATCH = 200;
const LINGER_MS = 5;

export type RecordedAttempt = JudgedAttempt;

export interface RecorderSettings {
  dataSource: DataSource;
  events: WebhooksEvents;
  logger: Logger;
  clock: () => Date;
  autoDisableAfterMs: number;
  /** Called after each batch is written, with its attempts (the dispatcher may claim again). */
  onWritten?: (attempts: readonly RecordedAttempt[]) => void;
  /**
   * What a recorded batch causes beyond the delivery log (an API inbox's message marked failed,
   * an agent bot's conversation handed to people). Runs after the batch is in, off the recording
   * path; `flush()` waits for it. Its errors are logged. Default: {@link createTargetEffects}.
   */
  afterWrite?: (attempts: RecordedAttempt[]) => Promise<void>;
}

export interface OutcomeRecorder {
  /** Queue an attempt; resolves once it is in the database (retried while the database is away). */
  record(attempt: RecordedAttempt): Promise<void>;
  /** Write everything queued; gives up waiting after `timeoutMs` (the leases bring those back). */
  flush(timeoutMs?: number): Promise<void>;
  /** Attempts queued or being written. */
  size(): number;
}

type Queued = { attempt: RecordedAttempt; done: () => void };

/** PostgreSQL's "data exception" and "program limit exceeded" classes: this data will never fit as is. */
const isDataError = (error: unknown) => /^(22|54)/.test(String((error as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (error as { code?: string }).code ?? ""));

/**
 * Batches attempt results: one statement records up to 200 attempts and the webhooks' health;
 * a second runs only when some webhook must be disabled. Writing is idempotent (a delivery's row
 * only takes the attempt that follows the one it has), so a batch retried after a lost answer
 * counts nothing twice. Events are emitted once the batch is in.
 */
export function createOutcomeRecorder(settings: RecorderSettings): OutcomeRecorder {
  const { dataSource, events, logger, clock } = settings;
  const sql = statementsOf(dataSource);
  let queue: Queued[] = [];
  let writing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;
  const effects = new Set<Promise<void>>();

  const afterWrite = settings.afterWrite ?? createTargetEffects(dataSource, logger);
  const runEffects = (attempts: RecordedAttempt[]) => {
    const running: Promise<void> = afterWrite(attempts)
      .catch((error: unknown) => logger.error({ err: error }, "could not apply what recorded attempts cause (message status, agent bot fallback)"))
      .finally(() => effects.delete(running));
    effects.add(running);
  };

  const write = async (attempts: RecordedAttempt[]): Promise<Array<{ id: number; account_id: number; disabled_reason: "gone" | "failing" }>> => {
    const verdict = new Map<number, boolean>();
    for (const attempt of attempts) verdict.set(attempt.webhookId, attempt.ok);
    const healthy = [...verdict].filter(([, ok]) => ok).map(([id]) => id);
    const failing = [...verdict].filter(([, ok]) => !ok).map(([id]) => id);
    const now = clock();
    await dataSource.query(sql(RECORD_OUTCOMES), [
      attempts.map((a) => a.deliveryId),
      attempts.map((a) => a.deliveryStatus),
      attempts.map((a) => a.nextAttemptAt),
      attempts.map((a) => a.attemptedAt),
      attempts.map((a) => a.status),
      attempts.map((a) => a.durationMs),
      attempts.map((a) => a.error),
      attempts.map((a) => a.responseBody),
      attempts.map((a) => a.trigger),
      healthy,
      now,
      failing,
      attempts.map((a) => a.attempt),
    ]);
    await recordFinalUrls(dataSource, attempts);
    const gone = [...new Set(attempts.filter((a) => a.gone).map((a) => a.webhookId))];
    if (gone.length === 0 && failing.length === 0) return [];
    const cutoff = new Date(now.getTime() - settings.autoDisableAfterMs);
    return rowsOf(await dataSource.query(sql(DISABLE_WEBHOOKS), [gone, failing, cutoff]));
  };

  /** A batch the database refuses as data: write its attempts one by one, the last resort without the response body. */
  const writeOneByOne = async (attempts: RecordedAttempt[]) => {
    const disabled = [];
    for (const attempt of attempts) {
      try {
        disabled.push(...(await write([attempt])));
      } catch (error) {
        if (!isDataError(error)) throw error;
        logger.warn({ err: error, deliveryId: attempt.deliveryId }, "attempt stored without its response body, which the database refused");
        disabled.push(...(await write([{ ...attempt, responseBody: null, error: attempt.error?.slice(0, 1000) ?? null }])));
      }
    }
    return disabled;
  };

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      const attempts = batch.map((item) => item.attempt);
      let disabled;
      try {
        disabled = await write(attempts).catch((error: unknown) => (isDataError(error) ? writeOneByOne(attempts) : Promise.reject(error)));
        failures = 0;
      } catch (error) {
        failures += 1;
        logger.error({ err: error, queued: queue.length }, "could not record delivery attempts; retrying");
        emitSafely(events, logger, "dispatcher.error", error as Error);
        await new Promise((resolve) => setTimeout(resolve, backoffMs(failures)));
        continue;
      }
      queue = queue.slice(batch.length);
      runEffects(attempts);
      for (const row of disabled) {
        logger.warn({ webhookId: row.id, accountId: row.account_id, reason: row.disabled_reason }, "webhook disabled");
        emitSafely(events, logger, "webhook.disabled", { webhookId: row.id, accountId: row.account_id, reason: row.disabled_reason });
      }
      for (const { attempt, done } of batch) {
        done();
        const { gone: _gone, ...record } = attempt;
        if (record.ok) emitSafely(events, logger, "delivery.succeeded", record);
        else if (record.trigger === "scheduled" && record.deliveryStatus === "pending") emitSafely(events, logger, "delivery.retry_scheduled", record);
        else if (record.trigger === "scheduled" && record.deliveryStatus === "failed") emitSafely(events, logger, "delivery.failed", record);
      }
      settings.onWritten?.(attempts);
    }
  };

  const flushNow = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (!writing) {
      writing = drain().finally(() => {
        writing = null;
        if (queue.length > 0) void flushNow();
      });
    }
    return writing;
  };

  return {
    record(attempt) {
      return new Promise<void>((resolve) => {
        queue.push({ attempt, done: resolve });
        if (queue.length >= MAX_BATCH) void flushNow();
        else if (attempt.orderingKey !== null && attempt.deliveryStatus !== "pending") {
          // The next delivery of its conversation waits for this write: no linger, only what
          // finishes in the same turn of the event loop joins the batch.
          if (!writing) {
            if (timer) clearTimeout(timer);
            timer = setTimeout(() => void flushNow(), 0);
          }
        } else if (!timer && !writing) timer = setTimeout(() => void flushNow(), LINGER_MS);
      });
    },
    async flush(timeoutMs = Infinity) {
      const deadline = Date.now() + timeoutMs;
      while ((queue.length > 0 || writing) && Date.now() < deadline) {
        let timeout: NodeJS.Timeout | undefined;
        await Promise.race([flushNow(), until(deadline, (handle) => (timeout = handle))]);
        clearTimeout(timeout);
      }
      while (effects.size > 0 && Date.now() < deadline) {
        let timeout: NodeJS.Timeout | undefined;
        await Promise.race([Promise.allSettled([...effects]), until(deadline, (handle) => (timeout = handle))]);
        clearTimeout(timeout);
      }
    },
    size: () => queue.length,
  };
}

/** Resolves at `deadline`; never, without a timer, when there is none (setTimeout would clamp Infinity to 1 ms). */
function until(deadline: number, started: (handle: NodeJS.Timeout) => void): Promise<void> {
  if (!Number.isFinite(deadline)) return new Promise<void>(() => undefined);
  return new Promise<void>((resolve) => started(setTimeout(resolve, Math.max(0, deadline - Date.now()))));
}
