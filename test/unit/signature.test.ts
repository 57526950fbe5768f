import { createHmac } from "node:crypto";
import { Webhook } from "standardwebhooks";
import { BASE58_ALPHABET, generateSecret, SECRET_LENGTH } from "../../src/security/secret";
import { activePreviousSecret, chatwootSignature, signatureHeaders, standardWebhookSignature, verifyChatwootSignature } from "../../src/security/signature";

const secret = "4fTk9QwZrXy2bN7mPcVh8sLd"; // 24 base58 characters, like a generated one
const body = JSON.stringify({ event: "message_created", id: 1, content: "héllo ✓" });
const deliveryId = "8f2c9a3e-4b1d-4e5f-9a7b-1c2d3e4f5a6b";
const now = () => Math.floor(Date.now() / 1000);

describe("chatwootSignature", () => {
  it("is sha256= and the hex HMAC of `timestamp.body` keyed with the secret", () => {
    const timestamp = 1_700_000_000;
    const expected = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
    expect(chatwootSignature(secret, timestamp, body)).toBe(`sha256=${expected}`);
    expect(chatwootSignature(secret, timestamp, body)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it("changes with the body, the timestamp and the secret", () => {
    const base = chatwootSignature(secret, 1, body);
    expect(chatwootSignature(secret, 1, `${body} `)).not.toBe(base);
    expect(chatwootSignature(secret, 2, body)).not.toBe(base);
    expect(chatwootSignature(`${secret}x`, 1, body)).not.toBe(base);
  });

  it("refuses an empty secret and a timestamp that is not whole seconds", () => {
    expect(() => chatwootSignature("", 1, body)).toThrow(TypeError);
    expect(() => chatwootSignature(secret, 1.5, body)).toThrow(TypeError);
    expect(() => chatwootSignature(secret, -1, body)).toThrow(TypeError);
  });
});

describe("verifyChatwootSignature", () => {
  const timestamp = 1_700_000_123;
  const header = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;

  it("accepts the right signature, with the timestamp as a number or as header text", () => {
    expect(verifyChatwootSignature(secret, timestamp, body, header)).toBe(true);
    expect(verifyChatwootSignature(secret, String(timestamp), body, header)).toBe(true);
  });

  it("rejects a tampered body, timestamp or secret, and malformed headers", () => {
    expect(verifyChatwootSignature(secret, timestamp, body.replace("1", "2"), header)).toBe(false);
    expect(verifyChatwootSignature(secret, timestamp + 1, body, header)).toBe(false);
    expect(verifyChatwootSignature("another-secret", timestamp, body, header)).toBe(false);
    expect(verifyChatwootSignature(secret, timestamp, body, header.slice(0, -1))).toBe(false);
    expect(verifyChatwootSignature(secret, timestamp, body, header.toUpperCase())).toBe(false);
    expect(verifyChatwootSignature(secret, timestamp, body, undefined)).toBe(false);
    expect(verifyChatwootSignature(secret, "12x", body, header)).toBe(false);
  });
});

describe("standardWebhookSignature", () => {
  it("is v1, and the base64 HMAC of `id.timestamp.body` keyed with the secret's bytes", () => {
    const timestamp = 1_700_000_000;
    const expected = createHmac("sha256", Buffer.from(secret, "utf8")).update(`${deliveryId}.${timestamp}.${body}`).digest("base64");
    expect(standardWebhookSignature(secret, deliveryId, timestamp, body)).toBe(`v1,${expected}`);
  });

  it("verifies with the standardwebhooks package in raw-key mode", () => {
    const timestamp = now();
    const headers = {
      "webhook-id": deliveryId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": standardWebhookSignature(secret, deliveryId, timestamp, body),
    };
    expect(new Webhook(secret, { format: "raw" }).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("fails verification for a tampered body, id or another secret", () => {
    const timestamp = now();
    const headers = {
      "webhook-id": deliveryId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": standardWebhookSignature(secret, deliveryId, timestamp, body),
    };
    const receiver = new Webhook(secret, { format: "raw" });
    expect(() => receiver.verify(body.replace("héllo", "hello"), headers)).toThrow("No matching signature found");
    expect(() => receiver.verify(body, { ...headers, "webhook-id": "another-id" })).toThrow("No matching signature found");
    expect(() => new Webhook(generateSecret(), { format: "raw" }).verify(body, headers)).toThrow("No matching signature found");
  });
});

describe("signatureHeaders", () => {
  it("returns every header in a stable order, both signatures over the same body", () => {
    const timestamp = now();
    const headers = signatureHeaders({ secret, deliveryId, timestamp, body, userAgent: "chatwoot-webhooks/0.1.0" });
    expect(Object.keys(headers)).toEqual([
      "Content-Type",
      "Accept",
      "User-Agent",
      "X-Chatwoot-Delivery",
      "X-Chatwoot-Timestamp",
      "X-Chatwoot-Signature",
      "webhook-id",
      "webhook-timestamp",
      "webhook-signature",
    ]);
    expect(headers).toMatchObject({
      "Content-Type": "application/json",
      Accept: "application/json",
      "User-Agent": "chatwoot-webhooks/0.1.0",
      "X-Chatwoot-Delivery": deliveryId,
      "X-Chatwoot-Timestamp": String(timestamp),
      "webhook-id": deliveryId,
      "webhook-timestamp": String(timestamp),
    });
    expect(verifyChatwootSignature(secret, headers["X-Chatwoot-Timestamp"], body, headers["X-Chatwoot-Signature"])).toBe(true);
    expect(new Webhook(secret, { format: "raw" }).verify(body, headers)).toEqual(JSON.parse(body));
  });
});

describe("signatureHeaders during a rotation's overlap", () => {
  const previous = "9hGq3WmZrXy2bN7mPcVh8sLe";

  it("lists both Standard Webhooks signatures, the new secret's first, and keeps X-Chatwoot-Signature on the previous secret", () => {
    const timestamp = now();
    const headers = signatureHeaders({ secret, previousSecret: previous, deliveryId, timestamp, body, userAgent: "ua" });
    expect(headers["webhook-signature"]).toBe(`${standardWebhookSignature(secret, deliveryId, timestamp, body)} ${standardWebhookSignature(previous, deliveryId, timestamp, body)}`);
    expect(new Webhook(secret, { format: "raw" }).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(previous, { format: "raw" }).verify(body, headers)).toEqual(JSON.parse(body));
    expect(verifyChatwootSignature(previous, headers["X-Chatwoot-Timestamp"], body, headers["X-Chatwoot-Signature"])).toBe(true);
    expect(verifyChatwootSignature(secret, headers["X-Chatwoot-Timestamp"], body, headers["X-Chatwoot-Signature"])).toBe(false);
  });

  it("signs with the current secret alone when there is no previous one (null or empty)", () => {
    for (const previousSecret of [null, undefined, ""]) {
      const headers = signatureHeaders({ secret, previousSecret, deliveryId, timestamp: 1, body, userAgent: "ua" });
      expect(headers["webhook-signature"]).toBe(standardWebhookSignature(secret, deliveryId, 1, body));
      expect(headers["X-Chatwoot-Signature"]).toBe(chatwootSignature(secret, 1, body));
    }
  });
});

describe("activePreviousSecret", () => {
  const at = new Date("2026-03-03T13:00:00.000Z");
  it("is the previous secret until its expiry (exclusive), then null; null without an expiry or a secret", () => {
    expect(activePreviousSecret("old", new Date(at.getTime() + 1), at)).toBe("old");
    expect(activePreviousSecret("old", "2026-03-03T13:00:00.001Z", at)).toBe("old");
    expect(activePreviousSecret("old", at, at)).toBeNull();
    expect(activePreviousSecret("old", new Date(at.getTime() - 1), at)).toBeNull();
    expect(activePreviousSecret("old", null, at)).toBeNull();
    expect(activePreviousSecret(null, new Date(at.getTime() + 1000), at)).toBeNull();
  });
});

describe("generateSecret", () => {
  it("makes 24 base58 characters", () => {
    expect(SECRET_LENGTH).toBe(24);
    expect(BASE58_ALPHABET).toBe("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz");
    for (let i = 0; i < 200; i += 1) {
      expect(generateSecret()).toMatch(/^[1-9A-HJ-NP-Za-km-z]{24}$/);
    }
  });

  it("never repeats and uses the whole alphabet about evenly", () => {
    const secrets = Array.from({ length: 2000 }, generateSecret);
    expect(new Set(secrets).size).toBe(secrets.length);
    const counts = new Map<string, number>();
    for (const character of secrets.join("")) counts.set(character, (counts.get(character) ?? 0) + 1);
    expect(counts.size).toBe(58);
    // Modulo over raw bytes would favour the first 24 symbols (256 % 58 = 24): their share would
    // be 120/256 ≈ 0.469 instead of 24/58 ≈ 0.414. Over 48 000 characters the sd of the share is
    // about 0.0023, so ±0.015 never fails by chance and still catches that bias.
    const firstShare = [...BASE58_ALPHABET.slice(0, 24)].reduce((sum, character) => sum + (counts.get(character) ?? 0), 0) / (secrets.length * 24);
    expect(Math.abs(firstShare - 24 / 58)).toBeLessThan(0.015);
  });
});
