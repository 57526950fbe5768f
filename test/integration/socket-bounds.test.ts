/**
 * Connections to receivers are bounded: idle keep-alive sockets close after a while, and each
 * agent holds at most `maxTotalSockets` sockets across all hosts (more requests wait for one), so
 * many endpoints cannot pile up open sockets until the process runs out of file descriptors.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import axios from "axios";
import { createAddressGuard } from "../../src/security/address-guard";

interface CountingServer {
  url: string;
  open(): number;
  close(): Promise<void>;
}

/** Servers that count open connections, all into one shared tally so the peak across them shows. */
function tally() {
  let open = 0;
  let peak = 0;
  const sockets = new Set<Socket>();
  const start = async (delayMs: number): Promise<CountingServer> => {
    const server: Server = createServer((_req, res) => setTimeout(() => res.end("ok"), delayMs));
    server.on("connection", (socket) => {
      open += 1;
      peak = Math.max(peak, open);
      sockets.add(socket);
      socket.on("close", () => {
        open -= 1;
        sockets.delete(socket);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      open: () => open,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  };
  return { start, open: () => open, peak: () => peak, reset: () => (peak = open) };
}

const policy = { allowPrivateNetwork: true, allowedCidrs: [] };

/** Sockets the agent has open right now, and the most it had at once, counted on the client side. */
function watchAgent(agent: import("node:http").Agent) {
  let open = 0;
  let peak = 0;
  const create = (agent as unknown as { createConnection: (...args: unknown[]) => Socket }).createConnection.bind(agent);
  (agent as unknown as { createConnection: (...args: unknown[]) => Socket }).createConnection = (...args: unknown[]) => {
    const socket = create(...args);
    open += 1;
    peak = Math.max(peak, open);
    // Counted as gone when the agent lets go of it (destroy() is called before "close" fires).
    let gone = false;
    const release = () => {
      if (!gone) open -= 1;
      gone = true;
    };
    const destroy = socket.destroy.bind(socket);
    socket.destroy = (error?: Error) => {
      release();
      return destroy(error);
    };
    socket.once("close", release);
    return socket;
  };
  return { open: () => open, peak: () => peak };
}

describe("socket bounds", () => {
  it("closes idle keep-alive sockets after idleTimeoutMs", async () => {
    const counts = tally();
    const server = await counts.start(0);
    const guard = createAddressGuard({ policy, idleTimeoutMs: 200 });
    const http = axios.create({ httpAgent: guard.httpAgent });
    try {
      for (let i = 0; i < 3; i += 1) expect((await http.post(server.url, "x")).status).toBe(200);
      expect(counts.open()).toBe(1); // reused while busy enough
      const deadline = Date.now() + 2000;
      while (counts.open() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(counts.open()).toBe(0);
    } finally {
      guard.destroy();
      await server.close();
    }
  });

  it("holds at most maxTotalSockets across hosts; the rest wait and all succeed", async () => {
    const counts = tally();
    const servers = await Promise.all(Array.from({ length: 6 }, () => counts.start(80)));
    const guard = createAddressGuard({ policy, maxSockets: 10, maxTotalSockets: 3, idleTimeoutMs: 100 });
    const client = watchAgent(guard.httpAgent);
    const http = axios.create({ httpAgent: guard.httpAgent });
    try {
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => http.post(servers[i % servers.length].url, "x").then((res) => res.status)));
      expect(results).toEqual(Array(60).fill(200));
      // Node's agent hands a waiting origin a new socket while the one just freed still sits in
      // its idle pool, so the bound is the cap plus that one: 4 here, not 60, however many hosts.
      expect(client.peak()).toBeLessThanOrEqual(4);
      expect(counts.peak()).toBeLessThanOrEqual(5);
    } finally {
      guard.destroy();
      await Promise.all(servers.map((server) => server.close()));
    }
  });

  it("without the bounds, the same requests open a socket per request (what the bounds prevent)", async () => {
    const counts = tally();
    const servers = await Promise.all(Array.from({ length: 6 }, () => counts.start(80)));
    const guard = createAddressGuard({ policy, maxSockets: 10 });
    const http = axios.create({ httpAgent: guard.httpAgent });
    try {
      await Promise.all(Array.from({ length: 18 }, (_, i) => http.post(servers[i % servers.length].url, "x")));
      expect(counts.peak()).toBe(18);
      // And they stay open, idle, until something closes them.
      expect(counts.open()).toBe(18);
    } finally {
      guard.destroy();
      await Promise.all(servers.map((server) => server.close()));
    }
  });
});
