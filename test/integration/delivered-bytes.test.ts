/**
 * What receivers get, byte for byte, after the database round trip (issue: the builders' output
 * was right, the delivered bodies were not). Each case names the Chatwoot file it follows.
 */
import { Conversation, Message } from "../../src/entities";
import type { Webhooks } from "../../src/create-webhooks";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { testWebhooks, settle as settleDispatcher } from "../helpers/webhooks";

describe("delivered bytes", () => {
  let db: TestDatabase;
  let receiver: Receiver;
  let webhooks: Webhooks;

  beforeAll(async () => {
    db = await createTestDatabase("delivered_bytes");
    receiver = await startReceiver();
    webhooks = testWebhooks(db.dataSource);
  });

  afterAll(async () => {
    await webhooks.close();
    await receiver.close();
    await db.drop();
  });

  const settle = () => settleDispatcher(webhooks);

  it("keeps previous_value before current_value in changed_attributes (app/listeners/webhook_listener.rb, ActiveModel's previous_changes)", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/order`, { subscriptions: ["conversation_status_changed", "conversation_updated"] });
    await db.dataSource.getRepository(Conversation).save({ ...scene.conversation, status: "resolved", priority: "high" });
    await settle();
    const bodies = receiver.requests.filter((request) => request.path === "/order").map((request) => request.body);
    expect(bodies).toHaveLength(2);
    // conversation_status_changed comes first, as Chatwoot dispatches it (app/models/conversation.rb).
    expect(JSON.parse(bodies[0]).event).toBe("conversation_status_changed");
    expect(JSON.parse(bodies[1]).event).toBe("conversation_updated");
    expect(bodies[0]).toContain(`"changed_attributes":[{"status":{"previous_value":"open","current_value":"resolved"}}]`);
    expect(bodies[1]).toContain(`{"status":{"previous_value":"open","current_value":"resolved"}}`);
    expect(bodies[1]).toContain(`{"priority":{"previous_value":null,"current_value":"high"}}`);
  });

  it("keeps the key order of a widget's event_info", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/widget`, { subscriptions: ["webwidget_triggered"] });
    await webhooks.emit.widgetTriggered({ contactInboxId: scene.conversation.contactInboxId as number, eventInfo: { widget_language: "en", referer: "https://a.example", browser_language: "en" } });
    await settle();
    const [request] = receiver.requests.filter((r) => r.path === "/widget");
    expect(request.body).toContain(`"event_info":{"widget_language":"en","referer":"https://a.example","browser_language":"en"}`);
  });

  it("turns markdown hard breaks into plain line breaks and drops trailing ones (app/services/messages/webhook_content_normalizer.rb)", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/content`, { subscriptions: ["message_created"] });
    await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "Line one\\\nLine two\\\r\nLine three\n\n" }));
    await settle();
    const [request] = receiver.requests.filter((r) => r.path === "/content");
    const body = JSON.parse(request.body);
    expect(body.content).toBe("Line one\nLine two\nLine three");
    expect(body.conversation.messages[0].content).toBe("Line one\nLine two\nLine three");
    expect(body.conversation.messages[0].processed_message_content).toBe("Line one\nLine two\nLine three");
  });
});
