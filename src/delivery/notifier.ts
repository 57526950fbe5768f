import { randomUUID } from "node:crypto";
import type { Pool, PoolClient } from "pg";
import type { DataSource } from "typeorm";
import type { Logger } from "../options";

/** The NOTIFY channel dispatchers listen on. */
export const CHANNEL = "chatwoot_webhooks";

/** Cross-process wake-ups over PostgreSQL LISTEN/NOTIFY. */
export interface Notifier {
  /** Hold one pooled connection that LISTENs; reconnects by itself when it drops. */
  listen(onNotification: () => void): Promise<void>;
  /** Tell every listening dispatcher there is new work. Coalesced, never awaited by callers. */
  notify(): void;
  close(): Promise<void>;
}

/** Uses the DataSource's own `pg` pool (one connection while listening, one briefly per NOTIFY). */
export function createNotifier(dataSource: DataSource, logger: Logger): Notifier {
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  let client: PoolClient | null = null;
  let closed = false;
  let scheduled = false;
  let retry: NodeJS.Timeout | null = null;
  // Our own NOTIFYs carry this id; the local dispatcher was already woken directly.
  const self = randomUUID();

  const connect = async (onNotification: () => void): Promise<void> => {
    const next = await pool.connect();
    next.on("notification", (message) => {
      if (message.channel === CHANNEL && message.payload !== self) onNotification();
    });
    next.on("error", (error) => {
      logger.warn({ err: error }, "webhook LISTEN connection lost; reconnecting");
      if (client === next) client = null;
      next.release(error);
      scheduleReconnect(onNotification);
    });
    await next.query(`LISTEN ${CHANNEL}`);
    client = next;
    // Anything committed while we were not listening is picked up now rather than at the next poll.
    onNotification();
  };

  const scheduleReconnect = (onNotification: () => void) => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = null;
      connect(onNotification).catch((error: Error) => {
        logger.warn({ err: error }, "webhook LISTEN reconnect failed; trying again");
        scheduleReconnect(onNotification);
      });
    }, 1000);
    retry.unref();
  };

  return {
    async listen(onNotification) {
      closed = false;
      await connect(onNotification);
    },
    notify() {
      if (scheduled || closed) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        pool.query(`SELECT pg_notify('${CHANNEL}', $1)`, [self]).catch((error: Error) => logger.debug({ err: error }, "NOTIFY failed; dispatchers will poll"));
      });
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      retry = null;
      const current = client;
      client = null;
      if (current) {
        await current.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
        current.release();
      }
    },
  };
}
