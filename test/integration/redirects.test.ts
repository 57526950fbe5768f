/**
 * Issue 16, item 5: redirects followed the way Chatwoot's `lib/safe_fetch/private_network_request.rb`
 * (with ssrf_filter's DEFAULT_MAX_REDIRECTS = 10) follows them: the same POST again, same body and
 * headers, each hop through the address guard, `authorization` dropped on a hop to another origin,
 * and the final URL in the delivery log. Every server is on loopback; two ports are two origins.
 * A hop's host name resolves through an injected DNS lookup, so a hop to a forbidden address is
 * proved refused without a packet leaving 127.0.0.0/8.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { LookupFunction } from "node:net";
import type { AddressInfo } from "node:net";
import express from "express";
import request from "supertest";
import type { Webhooks } from "../../src/create-webhooks";
import { ADDRESS_REFUSED_ERROR } from "../../src/delivery/send";
import { Message, WebhookAttempt, WebhookDelivery } from "../../src/entities";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeUser, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { testWebhooks, settle } from "../helpers/webhooks";

/** A DNS resolver that knows only these names (anything else: ENOTFOUND), and remembers what it was asked. */
function fakeLookup(names: Record<string, string>, asked: string[]): LookupFunction {
  return ((hostname: string, _options: unknown, callback: (error: Error | null, addresses: Array<{ address: string; family: number }>) => void) => {
    asked.push(hostname);
    const address = names[hostname];
    if (!address) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), []);
    else callback(null, [{ address, family: 4 }]);
  }) as unknown as LookupFunction;
}

/** A server on another loopback address that only counts connections and requests. */
async function startCounter(host: string): Promise<{ server: Server; port: number; connections: () => number; requests: IncomingMessage[] }> {
  let connections = 0;
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    req.resume();
    req.on("end", () => res.end("reached"));
  });
  server.on("connection", () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections, requests };
}

const close = (server: Server) => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
};

describe("redirects (Chatwoot's lib/safe_fetch)", () => {
  let db: TestDatabase;
  let first: Receiver;
  let second: Receiver;

  beforeAll(async () => {
    db = await createTestDatabase("redirects");
    first = await startReceiver();
    second = await startReceiver();
  });

  afterAll(async () => {
    await first.close();
    await second.close();
    await db.drop();
  });

  beforeEach(() => {
    first.requests.length = 0;
    second.requests.length = 0;
  });

  /** One createWebhooks per test (one per DataSource at a time), closed after it. */
  async function withWebhooks<T>(options: Parameters<typeof testWebhooks>[1], run: (webhooks: Webhooks) => Promise<T>): Promise<T> {
    const webhooks = testWebhooks(db.dataSource, options);
    try {
      return await run(webhooks);
    } finally {
      await webhooks.close();
    }
  }

  async function deliverOneMessage(url: string, webhooks: Webhooks) {
    const scene = await makeScene(db.dataSource);
    const webhook = await makeWebhook(db.dataSource, scene.account.id, url, { subscriptions: ["message_created"] });
    await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "follow me" }));
    await settle(webhooks);
    const delivery = await db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ webhookId: webhook.id });
    return { scene, webhook, delivery };
  }

  it("re-posts the same body and signed headers to the Location of a 301 on another origin, and logs the final URL (lib/safe_fetch/private_network_request.rb)", async () => {
    first.respond(() => ({ status: 301, headers: { location: `${second.url}/moved?x=1` } }));
    second.respond(() => ({ status: 200, body: "ok" }));
    await withWebhooks({}, async (webhooks) => {
      const { scene, webhook, delivery } = await deliverOneMessage(`${first.url}/hook`, webhooks);
      expect(delivery.status).toBe("succeeded");
      const [original] = first.requests;
      const [moved] = second.requests;
      expect(moved.method).toBe("POST");
      expect(moved.path).toBe("/moved?x=1");
      expect(moved.body).toBe(original.body);
      for (const header of ["x-chatwoot-signature", "x-chatwoot-timestamp", "x-chatwoot-delivery", "webhook-id", "webhook-signature", "content-type"]) {
        expect([header, moved.headers[header]]).toEqual([header, original.headers[header]]);
      }
      const [attempt] = await db.dataSource.getRepository(WebhookAttempt).findBy({ deliveryId: delivery.id });
      expect(attempt).toMatchObject({ statusCode: 200, error: null, finalUrl: `${second.url}/moved?x=1` });

      // The delivery log answers it too.
      const { token } = await makeUser(db.dataSource, scene.account.id, "administrator");
      const app = express().use("/api/v1", webhooks.router);
      const res = await request(app).get(`/api/v1/accounts/${scene.account.id}/webhooks/${webhook.id}/deliveries/${delivery.id}`).set("api_access_token", token);
      expect(res.status).toBe(200);
      expect(res.body.payload.delivery.attempts_log[0]).toMatchObject({ status_code: 200, final_url: `${second.url}/moved?x=1` });
    });
  });

  it("follows 302, 303, 307 and 308 as POSTs too, relative Locations included, and logs no final URL when nothing redirected", async () => {
    let hop = 0;
    const chain = [302, 303, 307, 308];
    first.respond((req) => {
      if (req.path === "/end") return { status: 204 };
      hop += 1;
      return { status: chain[hop - 1], headers: { location: hop === chain.length ? "/end" : `/step${hop}` } };
    });
    await withWebhooks({}, async (webhooks) => {
      const { delivery } = await deliverOneMessage(`${first.url}/start`, webhooks);
      expect(delivery.status).toBe("succeeded");
    });
    expect(first.requests.map((r) => [r.method, r.path])).toEqual([
      ["POST", "/start"],
      ["POST", "/step1"],
      ["POST", "/step2"],
      ["POST", "/step3"],
      ["POST", "/end"],
    ]);
    expect(new Set(first.requests.map((r) => r.body)).size).toBe(1);

    first.respond(() => ({ status: 200 }));
    await withWebhooks({}, async (webhooks) => {
      const { delivery } = await deliverOneMessage(`${first.url}/plain`, webhooks);
      const [attempt] = await db.dataSource.getRepository(WebhookAttempt).findBy({ deliveryId: delivery.id });
      expect(attempt.finalUrl).toBeNull();
    });
  });

  it("stops after maxRedirects hops (Chatwoot's SsrfFilter::TooManyRedirects) and retries later", async () => {
    first.respond((req) => ({ status: 307, headers: { location: `${req.path}x` } }));
    await withWebhooks({ maxRedirects: 2 }, async (webhooks) => {
      const { delivery } = await deliverOneMessage(`${first.url}/loop`, webhooks);
      expect(first.requests.map((r) => r.path)).toEqual(["/loop", "/loopx", "/loopxx"]);
      expect(delivery.status).toBe("pending");
      expect(delivery.lastStatusCode).toBe(307);
      expect(delivery.lastError).toBe(`HTTP 307: more than 2 redirects (Location: /loopxxx)`);
      const [attempt] = await db.dataSource.getRepository(WebhookAttempt).findBy({ deliveryId: delivery.id });
      expect(attempt.finalUrl).toBe(`${first.url}/loopxx`);
    });
  });

  it("maxRedirects: 0 keeps the old refusal: nothing is followed and the attempt fails", async () => {
    first.respond(() => ({ status: 301, headers: { location: `${second.url}/elsewhere` } }));
    await withWebhooks({ maxRedirects: 0 }, async (webhooks) => {
      const { delivery } = await deliverOneMessage(`${first.url}/hook`, webhooks);
      expect(delivery.status).toBe("pending");
      expect(delivery.lastError).toBe(`HTTP 301: redirects are not followed (Location: ${second.url}/elsewhere); update the webhook URL or raise the maxRedirects option`);
    });
    expect(second.requests).toHaveLength(0);
  });

  it("sends the URL's Basic credentials to its own origin only: dropped on a hop to another port, back on the way home (private_network_request.rb strip_sensitive_headers!)", async () => {
    first.respond((req) => (req.path === "/a" ? { status: 307, headers: { location: "/b" } } : req.path === "/b" ? { status: 307, headers: { location: `${second.url}/c` } } : { status: 200 }));
    second.respond(() => ({ status: 307, headers: { location: `${first.url}/d` } }));
    const basic = `Basic ${Buffer.from("n8n:p@ss:word").toString("base64")}`;
    await withWebhooks({}, async (webhooks) => {
      const url = `${first.url.replace("http://", "http://n8n:p%40ss%3Aword@")}/a`;
      const { delivery } = await deliverOneMessage(url, webhooks);
      expect(delivery.status).toBe("succeeded");
    });
    expect(first.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
      ["/a", basic],
      ["/b", basic],
      ["/d", basic],
    ]);
    expect(second.requests.map((r) => [r.path, r.headers.authorization, r.headers.cookie])).toEqual([["/c", undefined, undefined]]);
  });

  it("never sends credentials a Location names: the only ones sent are the webhook's own", async () => {
    first.respond(() => ({ status: 302, headers: { location: `${second.url.replace("http://", "http://evil:creds@")}/x` } }));
    second.respond(() => ({ status: 200 }));
    await withWebhooks({}, async (webhooks) => {
      const { delivery } = await deliverOneMessage(`${first.url}/hook`, webhooks);
      const [attempt] = await db.dataSource.getRepository(WebhookAttempt).findBy({ deliveryId: delivery.id });
      expect(attempt.finalUrl).toBe(`${second.url}/x`);
    });
    expect(second.requests[0].headers.authorization).toBeUndefined();
  });

  describe("every hop passes the address guard, with the injected DNS lookup", () => {
    let internal: Awaited<ReturnType<typeof startCounter>>;

    beforeAll(async () => {
      // 127.0.0.2 stands for an internal service: loopback, so nothing leaves the machine if the guard fails.
      internal = await startCounter("127.0.0.2");
    });

    afterAll(() => close(internal.server));

    it("refuses a hop whose host name resolves to a forbidden address, before connecting to it", async () => {
      const asked: string[] = [];
      const lookup = fakeLookup({ "receiver.test": "127.0.0.1", "internal.test": "127.0.0.2" }, asked);
      first.respond(() => ({ status: 307, headers: { location: `http://internal.test:${internal.port}/admin` } }));
      const warnings: Array<{ obj: object; msg?: string }> = [];
      const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (obj: object, msg?: string) => warnings.push({ obj, msg }) };
      // Only the receiver's own address is allowed; 127.0.0.2 stays forbidden like any loopback address.
      await withWebhooks({ allowPrivateNetwork: false, allowedCidrs: ["127.0.0.1/32"], lookup, logger }, async (webhooks) => {
        const { delivery } = await deliverOneMessage(`http://receiver.test:${first.port}/hook`, webhooks);
        expect(first.requests).toHaveLength(1);
        expect(asked).toEqual(expect.arrayContaining(["receiver.test", "internal.test"]));
        expect(internal.connections()).toBe(0);
        expect(internal.requests).toHaveLength(0);
        // Refused for good, as a refused first hop is; the tenant's log names no resolved address.
        expect(delivery.status).toBe("failed");
        expect(delivery.lastError).toBe(ADDRESS_REFUSED_ERROR);
        const [attempt] = await db.dataSource.getRepository(WebhookAttempt).findBy({ deliveryId: delivery.id });
        expect(attempt.finalUrl).toBe(`http://internal.test:${internal.port}/admin`);
        // The server's log has the detail.
        expect(warnings.map((w) => w.msg)).toContain("delivery refused by the address policy");
        expect(JSON.stringify(warnings)).toContain("127.0.0.2");
      });
    });

    it("reaches the same hop when the policy allows its address (the refusal above is the guard's doing)", async () => {
      const asked: string[] = [];
      const lookup = fakeLookup({ "receiver.test": "127.0.0.1", "internal.test": "127.0.0.2" }, asked);
      first.respond(() => ({ status: 307, headers: { location: `http://internal.test:${internal.port}/admin` } }));
      await withWebhooks({ allowPrivateNetwork: false, allowedCidrs: ["127.0.0.0/8"], lookup }, async (webhooks) => {
        const { delivery } = await deliverOneMessage(`http://receiver.test:${first.port}/hook`, webhooks);
        expect(delivery.status).toBe("succeeded");
      });
      expect(internal.connections()).toBe(1);
      expect(internal.requests).toHaveLength(1);
    });
  });
});
