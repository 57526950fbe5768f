import { randomUUID } from "node:crypto";
import { Client, type ClientConfig, type Pool } from "pg";
import type { DataSource } from "typeorm";
import type { Logger } from "../options";

/** How long commits may wait to share one NOTIFY. */
const NOTIFY_COALESCE_MS = 5;

/** The NOTIFY channel dispatchers listen on. */
export const CHANNEL = "chatwoot_webhooks";

/** Cross-process wake-ups over PostgreSQL LISTEN/NOTIFY. */
export interface Notifier {
  /** Open a connection of its own that LISTENs; reconnects by itself when it drops. */
  listen(onNotification: () => void): void;
  /** Tell every listening dispatcher there is new work. Coalesced, never awaited by callers. */
  notify(): void;
  /** Whether the LISTEN connection is up right now (health checks read it). */
  listening(): boolean;
  close(): Promise<void>;
}

/**
 * LISTEN runs on a dedicated connection built from the DataSource's own settings, outside its
 * pool, so a small pool is never one connection short. NOTIFY borrows a pooled connection for a
 * moment.
 */
export function createNotifier(dataSource: DataSource, logger: Logger): Notifier {
  const pool = (dataSource.driver as unknown as { master: Pool & { options: ClientConfig } }).master;
  let client: Client | null = null;
  let closed = true;
  let scheduled = false;
  let retry: NodeJS.Timeout | null = null;
  // Our own NOTIFYs carry this id; the local dispatcher was already woken directly.
  const self = randomUUID();

  const connect = async (onNotification: () => void): Promise<void> => {
    const next = new Client(pool.options);
    const lost = (error: Error) => {
      next.removeAllListeners();
      next.on("error", () => undefined);
      void next.end().catch(() => undefined);
      if (client === next) client = null;
      if (closed) return;
      logger.warn({ err: error }, "webhook LISTEN connection lost; reconnecting");
      scheduleReconnect(onNotification);
    };
    next.on("error", lost);
    next.on("end", () => lost(new Error("connection ended")));
    next.on("notification", (message) => {
      if (message.channel === CHANNEL && message.payload !== self) onNotification();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      next.removeAllListeners();
      await next.end().catch(() => undefined);
      throw error;
    }
    if (closed) {
      next.removeAllListeners();
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    // Anything committed while we were not listening is picked up now rather than at the next poll.
    onNotification();
  };

  const scheduleReconnect = (onNotification: () => void) => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = null;
      connect(onNotification).catch((error: Error) => {
        logger.warn({ err: error }, "webhook LISTEN reconnect failed; trying again (polling meanwhile)");
        scheduleReconnect(onNotification);
      });
    }, 1000);
    retry.unref();
  };

  return {
    listen(onNotification) {
      closed = false;
      connect(onNotification).catch((error: Error) => {
        logger.warn({ err: error }, "webhook LISTEN failed; polling until it succeeds");
        scheduleReconnect(onNotification);
      });
    },
    notify() {
      if (scheduled) return;
      scheduled = true;
      // Commits within 5 ms share one NOTIFY: a busy writer sends at most 200 a second instead
      // of one per save, and a dispatcher elsewhere wakes once for all of them.
      setTimeout(() => {
        scheduled = false;
        pool.query(`SELECT pg_notify('${CHANNEL}', $1)`, [self]).catch((error: Error) => logger.debug({ err: error }, "NOTIFY failed; dispatchers will poll"));
      }, NOTIFY_COALESCE_MS).unref();
    },
    listening: () => client !== null,
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      retry = null;
      const current = client;
      client = null;
      if (current) {
        current.removeAllListeners();
        current.on("error", () => undefined);
        await current.end().catch(() => undefined);
      }
    },
  };
}
