// One attempt against a real HTTP server on 127.0.0.1 that misbehaves after its status line:
// the deadline and the shutdown signal must cut the body short, and the verdict still comes
// from the status. No database needed.
import { createServer, Agent, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import axios from "axios";
import { send, type SendSettings } from "../../src/delivery/send";

describe("send()", () => {
  let server: Server;
  let url: string;
  const open = new Set<ServerResponse>();
  /** How the server answers the next requests. */
  let answer: (res: ServerResponse) => void = (res) => res.end("ok");
  const agent = new Agent({ keepAlive: true });
  const http = axios.create({ httpAgent: agent });
  const settings = (extra: Partial<SendSettings> = {}): SendSettings => ({ timeoutMs: 400, userAgent: "test", timestamp: 1_700_000_000, ...extra });
  const target = { url: "", secret: "s3cret", deliveryId: "00000000-0000-4000-8000-000000000001", body: '{"event":"message_created"}' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        open.add(res);
        res.on("close", () => open.delete(res));
        answer(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    target.url = url;
  });

  afterAll(async () => {
    for (const res of open) res.destroy();
    agent.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("keeps the first 4 KB of a normal answer and reports a 2xx as ok", async () => {
    answer = (res) => res.writeHead(201, { "content-type": "text/plain" }).end("x".repeat(5000));
    const outcome = await send(http, target, settings());
    expect(outcome).toMatchObject({ ok: true, status: 201, error: null });
    expect(outcome.responseBody).toBe("x".repeat(4096));
  });

  it("stops at the deadline when the body never ends, keeping the status and what arrived", async () => {
    answer = (res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
    };
    const started = Date.now();
    const outcome = await send(http, target, settings({ timeoutMs: 300 }));
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2000);
    expect(outcome).toMatchObject({ ok: true, status: 200, responseBody: "partial" });
  });

  it("reports a timeout when no status line arrives in time", async () => {
    answer = () => undefined;
    const outcome = await send(http, target, settings({ timeoutMs: 300 }));
    expect(outcome).toMatchObject({ ok: false, status: null, responseBody: null, error: "timeout: no response within 300 ms" });
  });

  it("gives up at once when the shutdown signal fires, and does not call that a timeout", async () => {
    answer = () => undefined;
    const shutdown = new AbortController();
    const started = Date.now();
    const pending = send(http, target, settings({ timeoutMs: 5000, signal: shutdown.signal }));
    setTimeout(() => shutdown.abort(), 100);
    const outcome = await pending;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(outcome.ok).toBe(false);
    expect(outcome.status).toBeNull();
    expect(outcome.error).not.toMatch(/timeout/);
  });

  it("does not start when the shutdown signal has already fired", async () => {
    let requests = 0;
    answer = (res) => {
      requests += 1;
      res.end("ok");
    };
    const shutdown = new AbortController();
    shutdown.abort();
    const outcome = await send(http, target, settings({ signal: shutdown.signal }));
    expect(outcome.ok).toBe(false);
    expect(requests).toBe(0);
  });

  it("leaves no listener on the shutdown signal once the attempt is over", async () => {
    answer = (res) => res.end("ok");
    const shutdown = new AbortController();
    const added: unknown[] = [];
    const removed: unknown[] = [];
    const signal = shutdown.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = (...args: Parameters<typeof add>) => {
      added.push(args[1]);
      add(...args);
    };
    signal.removeEventListener = (...args: Parameters<typeof remove>) => {
      removed.push(args[1]);
      remove(...args);
    };
    for (let i = 0; i < 5; i++) expect((await send(http, target, settings({ signal }))).ok).toBe(true);
    expect(added).toHaveLength(5);
    expect(new Set(removed)).toEqual(new Set(added));
  });
});
