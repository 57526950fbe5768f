import type { DataSource } from "typeorm";
import type { AttemptRecord, WebhooksEvents } from "../context";
import type { Logger } from "../options";
import { DISABLE_WEBHOOKS, RECORD_OUTCOMES } from "./sql/record-outcomes";
import { rowsOf } from "./rows";

/** How many attempts one round trip records at most, and how long the first one waits for company. */
const MAX_BATCH = 200;
const LINGER_MS = 5;

export interface RecorderSettings {
  dataSource: DataSource;
  events: WebhooksEvents;
  logger: Logger;
  clock: () => Date;
  autoDisableAfterMs: number;
}

export interface OutcomeRecorder {
  /** Queue an attempt; resolves once it is in the database (retried while the database is away). */
  record(attempt: AttemptRecord & { gone: boolean }): Promise<void>;
  /** Write everything queued now. */
  flush(): Promise<void>;
  /** Attempts queued or being written. */
  size(): number;
}

type Queued = { attempt: AttemptRecord & { gone: boolean }; done: () => void };

/**
 * Batches attempt results: one statement records up to 200 attempts and the webhooks' health,
 * a second runs only when some webhook must be disabled. Events are emitted after the write.
 */
export function createOutcomeRecorder(settings: RecorderSettings): OutcomeRecorder {
  const { dataSource, events, logger, clock } = settings;
  let queue: Queued[] = [];
  let writing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let failures = 0;

  const write = async (batch: Queued[]): Promise<void> => {
    const attempts = batch.map((item) => item.attempt);
    const verdict = new Map<number, boolean>();
    for (const attempt of attempts) verdict.set(attempt.webhookId, attempt.ok);
    const healthy = [...verdict].filter(([, ok]) => ok).map(([id]) => id);
    const failing = [...verdict].filter(([, ok]) => !ok).map(([id]) => id);
    const now = clock();
    await dataSource.query(RECORD_OUTCOMES, [
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
    ]);
    const gone = [...new Set(attempts.filter((a) => a.gone).map((a) => a.webhookId))];
    if (gone.length > 0 || failing.length > 0) {
      const cutoff = new Date(now.getTime() - settings.autoDisableAfterMs);
      const disabled = rowsOf<{ id: number; account_id: number; disabled_reason: "gone" | "failing" }>(await dataSource.query(DISABLE_WEBHOOKS, [gone, failing, cutoff]));
      for (const row of disabled) {
        logger.warn({ webhookId: row.id, accountId: row.account_id, reason: row.disabled_reason }, "webhook disabled");
        events.emit("webhook.disabled", { webhookId: row.id, accountId: row.account_id, reason: row.disabled_reason });
      }
    }
    for (const { attempt, done } of batch) {
      done();
      const { gone: _gone, ...record } = attempt;
      if (record.ok) events.emit("delivery.succeeded", record);
      else if (record.deliveryStatus === "pending" && record.trigger === "scheduled") events.emit("delivery.retry_scheduled", record);
      else if (record.deliveryStatus === "failed" && record.trigger === "scheduled") events.emit("delivery.failed", record);
    }
  };

  const drain = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      try {
        await write(batch);
        queue = queue.slice(batch.length);
        failures = 0;
      } catch (error) {
        failures += 1;
        logger.error({ err: error, queued: queue.length }, "could not record delivery attempts; retrying");
        events.emit("dispatcher.error", error as Error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 5000)));
      }
    }
  };

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (!writing) {
      writing = drain().finally(() => {
        writing = null;
        if (queue.length > 0) void flush();
      });
    }
    return writing;
  };

  return {
    record(attempt) {
      return new Promise<void>((resolve) => {
        queue.push({ attempt, done: resolve });
        if (queue.length >= MAX_BATCH) void flush();
        else if (!timer && !writing) timer = setTimeout(() => void flush(), LINGER_MS);
      });
    },
    async flush() {
      while (queue.length > 0 || writing) await flush();
    },
    size: () => queue.length,
  };
}
