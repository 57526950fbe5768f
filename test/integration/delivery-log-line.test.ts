import type { Webhooks } from "../../src/create-webhooks";
import { Message, WebhookDelivery } from "../../src/entities";
import type { Logger } from "../../src/options";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { allFinished, eventually, testWebhooks } from "../helpers/webhooks";

/** One structured info line per finished delivery: identifiers and outcome, never secret, URL or body. */
describe("the info line of a finished delivery", () => {
  let db: TestDatabase;
  let receiver: Receiver;
  let webhooks: Webhooks;
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  const logger = Object.fromEntries(
    (["debug", "info", "warn", "error"] as const).map((level) => [level, (obj: object, msg?: string) => lines.push({ level, obj: obj as Record<string, unknown>, msg })]),
  ) as unknown as Logger;

  beforeAll(async () => {
    db = await createTestDatabase("log_line");
    receiver = await startReceiver((request) => (request.path.startsWith("/ok") ? { status: 200, body: "thanks" } : { status: 500, body: "broken" }));
    webhooks = testWebhooks(db.dataSource, { logger, retrySchedule: [50], retryJitter: 0 });
  });

  afterAll(async () => {
    await webhooks.close();
    await receiver.close();
    await db.drop();
  });

  it("logs each finished delivery once at info, with ids, status, attempt and duration only", async () => {
    const scene = await makeScene(db.dataSource);
    const ok = await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/ok?token=url-token-123`, { secret: "secret-abc-123", subscriptions: ["message_created"] });
    const bad = await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/bad`, { secret: "secret-def-456", subscriptions: ["message_created"] });
    await webhooks.dispatcher.start();
    await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "body-content-789" }));
    const deliveries = db.dataSource.getRepository(WebhookDelivery);
    await eventually(() => allFinished(db.dataSource, 2), 10_000, "both deliveries to finish");
    await webhooks.dispatcher.stop();

    const finished = lines.filter((line) => line.level === "info" && /^webhook deliver/.test(line.msg ?? ""));
    expect(finished).toHaveLength(2);
    const [okDelivery, badDelivery] = [await deliveries.findOneByOrFail({ webhookId: ok.id }), await deliveries.findOneByOrFail({ webhookId: bad.id })];
    const okLine = finished.find((line) => line.obj.webhookId === ok.id);
    const badLine = finished.find((line) => line.obj.webhookId === bad.id);
    expect(okLine).toMatchObject({ msg: "webhook delivered", obj: { deliveryId: okDelivery.id, event: "message_created", outcome: "succeeded", status: 200, attempt: 1, kind: "account", error: null } });
    expect(badLine).toMatchObject({ msg: "webhook delivery failed for good", obj: { deliveryId: badDelivery.id, event: "message_created", outcome: "failed", status: 500, attempt: 2, error: "HTTP 500" } });
    for (const line of finished) {
      expect(line.obj.durationMs).toEqual(expect.any(Number));
      expect(Object.keys(line.obj).sort()).toEqual(["accountId", "attempt", "deliveryId", "durationMs", "error", "event", "kind", "outcome", "status", "trigger", "webhookId"]);
    }
    const everything = JSON.stringify(lines);
    for (const secret of ["secret-abc-123", "secret-def-456", "url-token-123", "body-content-789", "thanks", "broken", receiver.url]) expect(everything).not.toContain(secret);
  });
});
