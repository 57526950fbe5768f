import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { Arrival, ReceiverCommand, ReceiverReply } from "./receiver";

/** The parent's handle on the receiver process. */
export interface ReceiverProcess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Requests seen per path (answered ones, and those left hanging under `/hang`). */
  counts(): Promise<Record<string, number>>;
  /** Resolves with the receiver's clock (epoch ms) when `count` requests under `prefix` have been answered. */
  waitFor(prefix: string, count: number, timeoutMs: number): Promise<number>;
  /** Record each request's path, body `content` and arrival time from now on (or stop). */
  track(on: boolean): Promise<void>;
  arrivals(): Promise<Arrival[]>;
  /** Forget counts and arrivals, and drop the requests left hanging. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

type Command = ReceiverCommand extends infer C ? (C extends { id: number } ? Omit<C, "id"> : never) : never;

const START_TIMEOUT_MS = 10_000;
const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Fork `receiver.js` (next to this file once compiled) and wait until it listens.
 * `killParentAfterMs`: the last-resort deadline of the run; past it the receiver kills this process
 * (SIGKILL), which stops a run whose event loop is stuck and so cannot run its own watchdog.
 */
export function startReceiverProcess(options: { killParentAfterMs?: number } = {}): Promise<ReceiverProcess> {
  const args = options.killParentAfterMs ? [String(options.killParentAfterMs)] : [];
  const child: ChildProcess = fork(path.join(__dirname, "receiver.js"), args, { execArgv: [], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const pending = new Map<number, { resolve: (reply: ReceiverReply) => void; reject: (error: Error) => void }>();
  let nextId = 1;

  const ask = (command: Command, timeoutMs = COMMAND_TIMEOUT_MS): Promise<ReceiverReply> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`receiver did not answer "${command.cmd}" within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (reply) => {
          clearTimeout(timer);
          if ("error" in reply) reject(new Error(reply.error));
          else resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      child.send({ ...command, id });
    });

  return new Promise((resolve, reject) => {
    const startTimer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the receiver process did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.on("exit", (code) => {
      clearTimeout(startTimer);
      const error = new Error(`the receiver process exited (code ${code})`);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
      reject(error);
    });
    child.on("message", (reply: ReceiverReply) => {
      if ("type" in reply && reply.type === "ready") {
        clearTimeout(startTimer);
        resolve({
          url: `http://127.0.0.1:${reply.port}`,
          counts: async () => ((await ask({ cmd: "counts" })) as { counts: Record<string, number> }).counts,
          waitFor: async (prefix, count, timeoutMs) => ((await ask({ cmd: "waitFor", prefix, count, timeoutMs }, timeoutMs + 5000)) as { at: number }).at,
          track: async (on) => void (await ask({ cmd: "track", on })),
          arrivals: async () => ((await ask({ cmd: "arrivals" })) as { arrivals: Arrival[] }).arrivals,
          reset: async () => void (await ask({ cmd: "reset" })),
          close: async () => {
            if (child.exitCode !== null) return;
            const exited = new Promise((done) => child.once("exit", done));
            await ask({ cmd: "close" }, 5000).catch(() => child.kill("SIGKILL"));
            await exited;
          },
        });
        return;
      }
      if ("id" in reply) {
        const waiter = pending.get(reply.id);
        pending.delete(reply.id);
        waiter?.resolve(reply);
      }
    });
  });
}
