// Safety: every request here targets a name whose answers come from an injected lookup, a
// loopback literal, or `localhost` (answered from /etc/hosts). Forbidden non-loopback answers (10.0.0.5, 169.254.169.254, ...) must be
// refused by the guard before any connect; a tripwire on the agent's sockets additionally
// destroys any socket whose lookup hands on a non-loopback address, so even a broken guard
// cannot send a packet off this machine.
import { Agent as HttpAgent } from "node:http";
import type { LookupAddress, LookupOptions } from "node:dns";
import type { LookupFunction } from "node:net";
import axios, { type AxiosError } from "axios";
import ipaddr from "ipaddr.js";
import { createAddressGuard, guardLookup, type AddressGuard } from "../../src/security/address-guard";
import { ADDRESS_FORBIDDEN, AddressForbiddenError } from "../../src/security/address-forbidden-error";
import type { AddressPolicy } from "../../src/security/address-policy";
import { resolveOptions } from "../../src/options";
import { startReceiver, type Receiver } from "../helpers/receiver";

const strict: AddressPolicy = { allowPrivateNetwork: false, allowedCidrs: [] };

function isLoopback(ip: string): boolean {
  const address = ipaddr.process(ip);
  return address.range() === "loopback";
}

/** A resolver that answers `hook.test` with fixed addresses, always asynchronously, and records its calls. */
function fakeLookup(answers: string[]) {
  const calls: LookupOptions[] = [];
  const lookup: LookupFunction = (hostname, options, callback) => {
    calls.push({ ...options });
    // Asynchronous like real DNS, so the tripwire below is listening before any answer arrives.
    setImmediate(() => {
      if (hostname !== "hook.test") {
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), []);
        return;
      }
      const all: LookupAddress[] = answers.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
      if (options.all) callback(null, all);
      else callback(null, all[0].address, all[0].family);
    });
  };
  return { lookup, calls };
}

interface Tripwire {
  /** Addresses sockets were about to connect to. */
  handedOn: string[];
  /** Sockets that connected. */
  connects: number;
}

/** Watch every socket the agent creates; destroy it before connecting anywhere `isSafe` rejects (default: anywhere but loopback). */
function armTripwire(agent: HttpAgent, isSafe: (ip: string) => boolean = isLoopback): Tripwire {
  const tripwire: Tripwire = { handedOn: [], connects: 0 };
  const create = agent.createConnection.bind(agent);
  agent.createConnection = (options, callback) => {
    const socket = create(options, callback);
    socket?.on("lookup", (error: Error | null, address: string | undefined) => {
      if (error || address === undefined) return;
      tripwire.handedOn.push(address);
      if (!isSafe(address)) socket.destroy(Object.assign(new Error(`TRIPWIRE: about to connect to ${address}`), { code: "ERR_TRIPWIRE" }));
    });
    socket?.on("connect", () => {
      tripwire.connects += 1;
    });
    return socket;
  };
  return tripwire;
}

async function postFails(url: string, guard: AddressGuard, config: { family?: 4 | 6 } = {}): Promise<AxiosError> {
  try {
    await axios.post(url, { hello: "world" }, { httpAgent: guard.httpAgent, httpsAgent: guard.httpsAgent, proxy: false, timeout: 5000, ...config });
  } catch (error) {
    return error as AxiosError;
  }
  throw new Error(`POST ${url} succeeded but should have been refused`);
}

describe("address guard", () => {
  let receiver: Receiver;
  const guards: AddressGuard[] = [];
  const guard = (...args: Parameters<typeof createAddressGuard>) => {
    const created = createAddressGuard(...args);
    guards.push(created);
    return created;
  };

  beforeEach(async () => {
    receiver = await startReceiver();
  });

  afterEach(async () => {
    for (const created of guards.splice(0)) created.destroy();
    await receiver.close();
  });

  it("has a tripwire that really stops a socket between lookup and connect", async () => {
    // Shown on loopback only: a plain agent, a lookup answering the receiver's address, and a
    // tripwire that treats that address as off-limits.
    const { lookup } = fakeLookup(["127.0.0.1"]);
    const plain = new HttpAgent({ lookup });
    const tripwire = armTripwire(plain, () => false);
    const stopped = await axios.post(`http://hook.test:${receiver.port}/`, "x", { httpAgent: plain, proxy: false }).catch((error: AxiosError) => error);
    expect((stopped as AxiosError).code).toBe("ERR_TRIPWIRE");
    expect(tripwire).toEqual({ handedOn: ["127.0.0.1"], connects: 0 });
    expect(receiver.connections()).toBe(0);
    // The same agent without the tripwire's objection does connect: the check above was real.
    const control = new HttpAgent({ lookup });
    armTripwire(control);
    await axios.post(`http://hook.test:${receiver.port}/`, "x", { httpAgent: control, proxy: false });
    expect(receiver.connections()).toBe(1);
    plain.destroy();
    control.destroy();
  });

  describe("refuses before connecting", () => {
    it("a name that resolves to loopback, with an error saying how to allow it", async () => {
      const { lookup, calls } = fakeLookup(["127.0.0.1"]);
      const agents = guard({ policy: strict, lookup });
      const tripwire = armTripwire(agents.httpAgent);
      const error = await postFails(`http://hook.test:${receiver.port}/`, agents);
      expect(error.code).toBe(ADDRESS_FORBIDDEN);
      expect(error.cause).toBeInstanceOf(AddressForbiddenError);
      expect(error.message).toContain("127.0.0.1 (hook.test) is not allowed");
      expect(error.message).toContain("SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true");
      expect(error.message).toContain('"127.0.0.1/32"');
      expect(error.message).toContain("allowedCidrs");
      expect(calls).toHaveLength(1);
      expect(tripwire).toEqual({ handedOn: [], connects: 0 });
      expect(receiver.connections()).toBe(0);
    });

    it.each([
      ["10.0.0.5"],
      ["169.254.169.254"],
      ["172.16.0.1"],
      ["172.31.255.1"],
      ["192.168.1.1"],
      ["100.64.0.1"],
      ["0.0.0.0"],
      ["fc00::1"],
      ["fe80::1"],
      ["::1"],
      ["::ffff:127.0.0.1"],
      ["::ffff:a9fe:a9fe"],
      ["::7f00:1"],
      ["64:ff9b::a00:5"],
      ["2002:a9fe:a9fe::1"],
    ])("a name that resolves to %s", async (answer) => {
      const { lookup, calls } = fakeLookup([answer]);
      const agents = guard({ policy: strict, lookup });
      const tripwire = armTripwire(agents.httpAgent);
      const error = await postFails(`http://hook.test:${receiver.port}/`, agents);
      expect([error.code, error.message]).toEqual([ADDRESS_FORBIDDEN, expect.stringContaining(`${answer} (hook.test) is not allowed`)]);
      expect(calls).toHaveLength(1);
      expect(tripwire).toEqual({ handedOn: [], connects: 0 });
      expect(receiver.connections()).toBe(0);
    });

    // The allowed address is the receiver itself (allowed through allowedCidrs), so handing it on
    // would be observed as a connection; the forbidden one is refused by the rule "any address".
    it.each([
      [["127.0.0.1", "127.0.0.2"]],
      [["127.0.0.2", "127.0.0.1"]],
      [["127.0.0.1", "10.0.0.5"]],
      [["10.0.0.5", "127.0.0.1"]],
      [["127.0.0.1", "169.254.169.254"]],
      [["127.0.0.1", "fd00::1"]],
    ])("a name whose answers %j include one forbidden address", async (answers) => {
      const forbidden = answers.find((address) => address !== "127.0.0.1")!;
      for (const family of [undefined, 4] as const) {
        const { lookup, calls } = fakeLookup(answers);
        const agents = guard({ policy: { allowPrivateNetwork: false, allowedCidrs: ["127.0.0.1/32"] }, lookup });
        const tripwire = armTripwire(agents.httpAgent);
        const error = await postFails(`http://hook.test:${receiver.port}/`, agents, { family });
        expect([family, error.code, error.message]).toEqual([family, ADDRESS_FORBIDDEN, expect.stringContaining(`${forbidden} (hook.test) is not allowed`)]);
        // The wrapper always asks for every address, even when the socket wants one.
        expect(calls.map((options) => options.all)).toEqual([true]);
        expect(tripwire).toEqual({ handedOn: [], connects: 0 });
      }
      expect(receiver.connections()).toBe(0);
    });

    it.each([
      ["http://127.0.0.1:PORT/"],
      ["http://[::1]:PORT/"],
      ["http://[::ffff:127.0.0.1]:PORT/"],
      ["http://0x7f.1:PORT/"],
      ["http://2130706433:PORT/"],
    ])("a literal loopback URL %s, without any lookup", async (template) => {
      const { lookup, calls } = fakeLookup(["127.0.0.1"]);
      const agents = guard({ policy: strict, lookup });
      const tripwire = armTripwire(agents.httpAgent);
      const error = await postFails(template.replace("PORT", String(receiver.port)), agents);
      expect(error.code).toBe(ADDRESS_FORBIDDEN);
      expect(error.message).toContain("is not allowed");
      expect(calls).toHaveLength(0);
      expect(tripwire.connects).toBe(0);
      expect(receiver.connections()).toBe(0);
    });

    it("a name resolved by the default dns.lookup (localhost)", async () => {
      const agents = guard({ policy: strict });
      const tripwire = armTripwire(agents.httpAgent);
      const error = await postFails(`http://localhost:${receiver.port}/`, agents);
      expect(error.code).toBe(ADDRESS_FORBIDDEN);
      expect(error.message).toMatch(/(127\.0\.0\.1|::1) \(localhost\) is not allowed/);
      expect(tripwire).toEqual({ handedOn: [], connects: 0 });
      expect(receiver.connections()).toBe(0);
    });

    it("over https too", async () => {
      const { lookup } = fakeLookup(["127.0.0.1"]);
      const agents = guard({ policy: strict, lookup });
      const tripwire = armTripwire(agents.httpsAgent);
      const byName = await postFails(`https://hook.test:${receiver.port}/`, agents);
      const literal = await postFails(`https://127.0.0.1:${receiver.port}/`, agents);
      expect([byName.code, literal.code]).toEqual([ADDRESS_FORBIDDEN, ADDRESS_FORBIDDEN]);
      expect(tripwire).toEqual({ handedOn: [], connects: 0 });
      expect(receiver.connections()).toBe(0);
    });

    it("an address outside allowedCidrs", async () => {
      const { lookup } = fakeLookup(["127.0.0.1"]);
      const agents = guard({ policy: { allowPrivateNetwork: false, allowedCidrs: ["127.0.0.2/32", "10.0.0.0/8"] }, lookup });
      const error = await postFails(`http://hook.test:${receiver.port}/`, agents);
      expect(error.code).toBe(ADDRESS_FORBIDDEN);
      expect(receiver.connections()).toBe(0);
    });
  });

  describe("allows", () => {
    it("a private answer with allowPrivateNetwork, connecting to the address it checked, after one lookup", async () => {
      const { lookup, calls } = fakeLookup(["127.0.0.1"]);
      const agents = guard({ policy: { allowPrivateNetwork: true, allowedCidrs: [] }, lookup });
      const tripwire = armTripwire(agents.httpAgent);
      const response = await axios.post(`http://hook.test:${receiver.port}/hook`, { hello: "world" }, { httpAgent: agents.httpAgent, proxy: false });
      expect(response.status).toBe(200);
      expect(receiver.requests.map(({ method, path, body }) => ({ method, path, body }))).toEqual([{ method: "POST", path: "/hook", body: '{"hello":"world"}' }]);
      expect(calls).toHaveLength(1);
      expect(tripwire).toEqual({ handedOn: ["127.0.0.1"], connects: 1 });
    });

    it.each([[["127.0.0.1/32"]], [["127.0.0.0/8"]], [["127.0.0.1"]]])("an answer inside allowedCidrs %j", async (allowedCidrs) => {
      const { lookup } = fakeLookup(["127.0.0.1"]);
      const agents = guard({ policy: { allowPrivateNetwork: false, allowedCidrs }, lookup });
      const response = await axios.post(`http://hook.test:${receiver.port}/`, "x", { httpAgent: agents.httpAgent, proxy: false });
      expect(response.status).toBe(200);
      expect(receiver.requests).toHaveLength(1);
    });

    it("a single-address lookup (family 4) in the shape the socket asked for", async () => {
      const { lookup, calls } = fakeLookup(["127.0.0.1"]);
      const agents = guard({ policy: { allowPrivateNetwork: false, allowedCidrs: ["127.0.0.0/8"] }, lookup });
      const response = await axios.post(`http://hook.test:${receiver.port}/`, "x", { httpAgent: agents.httpAgent, proxy: false, family: 4 });
      expect(response.status).toBe(200);
      expect(calls).toEqual([expect.objectContaining({ all: true, family: 4 })]);
    });

    it("a literal loopback URL with allowPrivateNetwork", async () => {
      const agents = guard({ policy: { allowPrivateNetwork: true, allowedCidrs: [] } });
      const response = await axios.post(`${receiver.url}/`, "x", { httpAgent: agents.httpAgent, proxy: false });
      expect(response.status).toBe(200);
      expect(receiver.requests).toHaveLength(1);
    });

    it("https to an allowed address: the socket reaches the receiver (which then fails the TLS handshake)", async () => {
      const { lookup } = fakeLookup(["127.0.0.1"]);
      const agents = guard({ policy: { allowPrivateNetwork: true, allowedCidrs: [] }, lookup });
      const error = await postFails(`https://hook.test:${receiver.port}/`, agents);
      expect(error.code).not.toBe(ADDRESS_FORBIDDEN);
      expect(receiver.connections()).toBe(1);
    });

    it("keeps connections alive between requests", async () => {
      const agents = guard({ policy: { allowPrivateNetwork: true, allowedCidrs: [] }, maxSockets: 3 });
      expect(agents.httpAgent.maxSockets).toBe(3);
      for (let i = 0; i < 3; i += 1) {
        await axios.post(`${receiver.url}/`, "x", { httpAgent: agents.httpAgent, proxy: false });
      }
      expect(receiver.requests).toHaveLength(3);
      expect(receiver.connections()).toBe(1);
    });
  });

  describe("guardLookup", () => {
    const run = (lookup: LookupFunction, all: boolean) =>
      new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) => {
        guardLookup(strict, lookup)("hook.test", { all }, (error, address, family) => resolve({ error, address, family }));
      });

    it("hands on public answers unchanged, as a list or as the first address", async () => {
      // Pure: nothing connects to these addresses.
      const { lookup } = fakeLookup(["93.184.216.34", "2606:4700::1111"]);
      expect(await run(lookup, true)).toEqual({
        error: null,
        address: [
          { address: "93.184.216.34", family: 4 },
          { address: "2606:4700::1111", family: 6 },
        ],
        family: undefined,
      });
      expect(await run(lookup, false)).toEqual({ error: null, address: "93.184.216.34", family: 4 });
    });

    it("refuses when any answer is forbidden, in either shape", async () => {
      const { lookup } = fakeLookup(["93.184.216.34", "10.0.0.5"]);
      for (const all of [true, false]) {
        const { error } = await run(lookup, all);
        expect(error).toBeInstanceOf(AddressForbiddenError);
        expect(error).toMatchObject({ code: ADDRESS_FORBIDDEN, address: "10.0.0.5", hostname: "hook.test" });
      }
    });

    it("copes with a resolver that ignores all: true, and refuses non-addresses", async () => {
      const single: LookupFunction = (_hostname, _options, callback) => setImmediate(() => callback(null, "10.0.0.5", 4));
      expect((await run(single, true)).error).toMatchObject({ code: ADDRESS_FORBIDDEN, address: "10.0.0.5" });
      const garbage: LookupFunction = (_hostname, _options, callback) => setImmediate(() => callback(null, [{ address: "not-an-ip", family: 4 }]));
      const { error } = await run(garbage, true);
      expect(error).toMatchObject({ code: ADDRESS_FORBIDDEN, address: "not-an-ip" });
      expect(error?.message).toContain("is not an IP address");
    });

    it("passes DNS errors through and treats an empty answer as not found", async () => {
      const failing: LookupFunction = (_hostname, _options, callback) => setImmediate(() => callback(Object.assign(new Error("getaddrinfo ENOTFOUND hook.test"), { code: "ENOTFOUND" }), []));
      expect((await run(failing, true)).error).toMatchObject({ code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND hook.test" });
      const empty: LookupFunction = (_hostname, _options, callback) => setImmediate(() => callback(null, []));
      expect((await run(empty, false)).error).toMatchObject({ code: "ENOTFOUND" });
    });
  });

  describe("configuration", () => {
    it("fails fast on a bad allowedCidrs entry or maxSockets", () => {
      expect(() => createAddressGuard({ policy: { allowPrivateNetwork: false, allowedCidrs: ["10.0.0.0/33"] } })).toThrow(/allowedCidrs: "10\.0\.0\.0\/33" is not a CIDR/);
      expect(() => createAddressGuard({ policy: strict, maxSockets: 0 })).toThrow(/maxSockets must be a positive integer/);
    });

    it("SAFE_FETCH_ALLOW_PRIVATE_NETWORK=true turns allowPrivateNetwork on, and only the exact value does", () => {
      const dataSource = {} as never;
      expect(resolveOptions({ dataSource }, { SAFE_FETCH_ALLOW_PRIVATE_NETWORK: "true" }).allowPrivateNetwork).toBe(true);
      expect(resolveOptions({ dataSource }, {}).allowPrivateNetwork).toBe(false);
      expect(resolveOptions({ dataSource }, { SAFE_FETCH_ALLOW_PRIVATE_NETWORK: "1" }).allowPrivateNetwork).toBe(false);
      expect(resolveOptions({ dataSource, allowPrivateNetwork: false }, { SAFE_FETCH_ALLOW_PRIVATE_NETWORK: "true" }).allowPrivateNetwork).toBe(false);
    });
  });
});
