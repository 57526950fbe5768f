/**
 * A dispatcher alone in its process, so its memory can be watched: `fork()`ed with the database
 * URL as its argument. Runs `createWebhooks()` with default options (loopback allowed), starts
 * the dispatcher, reports `{ type: "ready" }`, then `{ type: "rss", rss }` every 100 ms. On
 * `{ cmd: "stop" }` it stops, reports the kernel's peak RSS of its whole life and exits; it also
 * exits when the parent goes away.
 */
import { createWebhooks } from "../src";
import { openDataSource } from "./database";
import { benchLogger } from "./progress";

/** What the child tells the parent. */
export type DispatcherChildMessage = { type: "ready"; rss: number } | { type: "rss"; rss: number } | { type: "stopped"; errors: number; maxRss: number };

const send = (message: DispatcherChildMessage, then?: () => void) => process.send?.(message, undefined, {}, () => then?.());

async function main(): Promise<void> {
  const url = process.argv[2];
  if (!url) throw new TypeError("usage: dispatcher-child.js <database url>");
  const sample = setInterval(() => send({ type: "rss", rss: process.memoryUsage().rss }), 100);
  const dataSource = await openDataSource(url);
  const logger = benchLogger("dispatcher-child");
  const webhooks = createWebhooks({ dataSource, allowPrivateNetwork: true, logger });
  await webhooks.dispatcher.start();
  send({ type: "ready", rss: process.memoryUsage().rss });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(sample);
    await webhooks.close();
    await dataSource.destroy();
    send({ type: "stopped", errors: logger.errors(), maxRss: process.resourceUsage().maxRSS * 1024 }, () => process.exit(0));
  };
  process.on("message", (message: { cmd?: string }) => {
    if (message.cmd === "stop") void stop();
  });
  process.on("disconnect", () => process.exit(0));
}

main().catch((error) => {
  console.error("[dispatcher-child]", error);
  process.exit(1);
});
