/**
 * The webhook receiver of the benchmark, run as its own process (`fork()`ed by the parent) so the
 * work of answering does not share an event loop with the dispatcher it measures.
 *
 * Listens on 127.0.0.1, port 0, keep-alive. Answers `200 ok` at once, except paths under `/hang`,
 * which are never answered, and under `/slow/<ms>/`, answered after that many milliseconds. Talks to the parent over IPC (see `ReceiverCommand`). An optional
 * argument is the run's last-resort deadline in ms (see `startReceiverProcess`).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { absoluteNow } from "./clock";

/** What the parent may ask; every command carries an `id` and gets one reply with that `id`. */
export type ReceiverCommand =
  | { id: number; cmd: "counts" }
  | { id: number; cmd: "waitFor"; prefix: string; count: number; timeoutMs: number }
  | { id: number; cmd: "track"; on: boolean }
  | { id: number; cmd: "arrivals" }
  | { id: number; cmd: "reset" }
  | { id: number; cmd: "close" };

/** One tracked request: its path, the top-level `content` of its JSON body, and when it arrived (epoch ms). */
export type Arrival = [path: string, content: string | null, at: number];

export type ReceiverReply =
  | { type: "ready"; port: number }
  | { id: number; counts: Record<string, number>; hanging: number }
  | { id: number; at: number; count: number }
  | { id: number; arrivals: Arrival[] }
  | { id: number; ok: true }
  | { id: number; error: string };

const HANG_PREFIX = "/hang";
const SLOW = /^\/slow\/(\d{1,5})\//;

let counts = new Map<string, number>();
let arrivals: Arrival[] = [];
let tracking = false;
const hanging = new Set<ServerResponse>();
const sockets = new Set<Socket>();
const waiters = new Set<{ prefix: string; count: number; done: (at: number, count: number) => void }>();

const answeredWith = (prefix: string): number => {
  let sum = 0;
  for (const [path, n] of counts) if (path.startsWith(prefix)) sum += n;
  return sum;
};

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const path = req.url ?? "/";
  const chunks: Buffer[] | null = tracking ? [] : null;
  req.on("data", (chunk: Buffer) => chunks?.push(chunk));
  req.on("end", () => {
    const at = absoluteNow();
    if (chunks) arrivals.push([path, contentOf(Buffer.concat(chunks).toString("utf8")), at]);
    if (path.startsWith(HANG_PREFIX)) {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      counts.set(path, (counts.get(path) ?? 0) + 1);
      return;
    }
    const slow = SLOW.exec(path);
    if (slow) setTimeout(() => answer(res, path), Number(slow[1]));
    else answer(res, path);
  });
});

/** Answer `200 ok` and count it (waking whoever waits for that count). */
function answer(res: ServerResponse, path: string): void {
  res.writeHead(200, { "content-type": "text/plain", "content-length": "2" });
  res.end("ok");
  counts.set(path, (counts.get(path) ?? 0) + 1);
  if (waiters.size > 0) {
    const answeredAt = absoluteNow();
    for (const waiter of waiters) {
      const n = answeredWith(waiter.prefix);
      if (n >= waiter.count) {
        waiters.delete(waiter);
        waiter.done(answeredAt, n);
      }
    }
  }
}

server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;
server.requestTimeout = 0;
server.on("connection", (socket: Socket) => {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
});

function contentOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { content?: unknown };
    return typeof parsed.content === "string" ? parsed.content : null;
  } catch {
    return null;
  }
}

const reply = (message: ReceiverReply, then?: () => void) => process.send?.(message, undefined, {}, () => then?.());

process.on("message", (command: ReceiverCommand) => {
  switch (command.cmd) {
    case "counts":
      reply({ id: command.id, counts: Object.fromEntries(counts), hanging: hanging.size });
      return;
    case "waitFor": {
      const now = answeredWith(command.prefix);
      if (now >= command.count) {
        reply({ id: command.id, at: absoluteNow(), count: now });
        return;
      }
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reply({ id: command.id, error: `timed out after ${command.timeoutMs} ms with ${answeredWith(command.prefix)}/${command.count} answered under ${command.prefix}` });
      }, command.timeoutMs);
      const waiter = {
        prefix: command.prefix,
        count: command.count,
        done: (at: number, count: number) => {
          clearTimeout(timer);
          reply({ id: command.id, at, count });
        },
      };
      waiters.add(waiter);
      return;
    }
    case "track":
      tracking = command.on;
      reply({ id: command.id, ok: true });
      return;
    case "arrivals":
      reply({ id: command.id, arrivals });
      return;
    case "reset":
      counts = new Map();
      arrivals = [];
      for (const res of hanging) res.destroy();
      hanging.clear();
      reply({ id: command.id, ok: true });
      return;
    case "close":
      for (const socket of sockets) socket.destroy();
      server.close(() => reply({ id: command.id, ok: true }, () => process.exit(0)));
      return;
  }
});

// The parent going away (crash, Ctrl-C) must not leave this process behind.
process.on("disconnect", () => process.exit(0));

// Last resort (argv[2], ms): a parent still running past its deadline is stuck; end it.
const deadline = Number(process.argv[2]);
if (Number.isFinite(deadline) && deadline > 0) {
  setTimeout(() => {
    console.error(`[receiver] the benchmark is still running after ${Math.round(deadline / 1000)} s and did not stop itself: killing it`);
    process.kill(process.ppid, "SIGKILL");
    process.exit(1);
  }, deadline).unref();
}

server.listen(0, "127.0.0.1", () => {
  reply({ type: "ready", port: (server.address() as AddressInfo).port });
});
