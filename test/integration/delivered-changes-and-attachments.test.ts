/**
 * Issue 16, items 2 and 4, on the bytes a real receiver gets after the database round trip:
 * label changes and `updated_at` in `changed_attributes`, and the attachments' `content_type`.
 * Each case names the Chatwoot file it follows.
 */
import { Attachment, Contact, Conversation, Message } from "../../src/entities";
import type { Webhooks } from "../../src/create-webhooks";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { testWebhooks, settle as settleDispatcher } from "../helpers/webhooks";

describe("delivered changed_attributes and attachments", () => {
  let db: TestDatabase;
  let receiver: Receiver;
  let webhooks: Webhooks;

  beforeAll(async () => {
    db = await createTestDatabase("delivered_changes");
    receiver = await startReceiver();
    webhooks = testWebhooks(db.dataSource);
  });

  afterAll(async () => {
    await webhooks.close();
    await receiver.close();
    await db.drop();
  });

  const settle = () => settleDispatcher(webhooks);
  const bodiesAt = (path: string) => receiver.requests.filter((request) => request.path === path).map((request) => request.body);
  /** The conversation's `updated_at` as the database holds it, in Chatwoot's JSON form of a time. */
  const updatedAtOf = async (id: number) => (await db.dataSource.getRepository(Conversation).findOneByOrFail({ id })).updatedAt.toISOString();

  it("reports a label change as cached_label_list and label_list, with updated_at (app/models/conversation.rb list_of_keys, spec/models/conversation_spec.rb 'sends conversation updated event if labels are updated')", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/labels`, { subscriptions: ["conversation_updated"] });
    const before = await updatedAtOf(scene.conversation.id);
    const repository = db.dataSource.getRepository(Conversation);

    await repository.save({ ...(await repository.findOneByOrFail({ id: scene.conversation.id })), labels: ["billing", "vip"] });
    await settle();
    const afterFirst = await updatedAtOf(scene.conversation.id);
    expect(afterFirst).not.toBe(before);
    const [first] = bodiesAt("/labels");
    expect(first).toContain(
      `"changed_attributes":[` +
        `{"cached_label_list":{"previous_value":null,"current_value":"billing, vip"}},` +
        `{"updated_at":{"previous_value":"${before}","current_value":"${afterFirst}"}},` +
        `{"label_list":{"previous_value":[],"current_value":["billing","vip"]}}]`,
    );
    expect(first).not.toContain(`{"labels":`);
    // The payload itself keeps Chatwoot's `labels` key.
    expect(JSON.parse(first).labels).toEqual(["billing", "vip"]);

    await repository.save({ ...(await repository.findOneByOrFail({ id: scene.conversation.id })), labels: [] });
    await settle();
    const afterSecond = await updatedAtOf(scene.conversation.id);
    const [, second] = bodiesAt("/labels");
    expect(second).toContain(
      `"changed_attributes":[` +
        `{"cached_label_list":{"previous_value":"billing, vip","current_value":""}},` +
        `{"updated_at":{"previous_value":"${afterFirst}","current_value":"${afterSecond}"}},` +
        `{"label_list":{"previous_value":["billing","vip"],"current_value":[]}}]`,
    );
  });

  it("carries every saved change, updated_at included, beside the watched one (spec/models/conversation_spec.rb 'runs after_update callbacks': changed_attributes is previous_changes)", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/all-changes`, { subscriptions: ["conversation_updated"] });
    const before = await updatedAtOf(scene.conversation.id);
    const repository = db.dataSource.getRepository(Conversation);
    const agentSeen = new Date("2026-03-03T13:05:57.123Z");
    await repository.save({ ...(await repository.findOneByOrFail({ id: scene.conversation.id })), priority: "urgent", agentLastSeenAt: agentSeen });
    await settle();
    const after = await updatedAtOf(scene.conversation.id);
    const [body] = bodiesAt("/all-changes");
    const changed = JSON.parse(body).changed_attributes as Array<Record<string, unknown>>;
    expect(changed.map((change) => Object.keys(change)[0])).toEqual(["priority", "agent_last_seen_at", "updated_at"]);
    expect(body).toContain(`{"agent_last_seen_at":{"previous_value":null,"current_value":"2026-03-03T13:05:57.123Z"}}`);
    expect(body).toContain(`{"updated_at":{"previous_value":"${before}","current_value":"${after}"}}`);
  });

  it("sends nothing for a save that changes only columns Chatwoot does not watch (spec/models/conversation_spec.rb 'will not run conversation_updated event for non whitelisted keys')", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/unwatched`, { subscriptions: ["conversation_updated"] });
    const repository = db.dataSource.getRepository(Conversation);
    await repository.save({ ...(await repository.findOneByOrFail({ id: scene.conversation.id })), agentLastSeenAt: new Date() });
    // A save with no change at all touches nothing, so records nothing either.
    await repository.save(await repository.findOneByOrFail({ id: scene.conversation.id }));
    await settle();
    expect(bodiesAt("/unwatched")).toEqual([]);
  });

  it("puts updated_at in a contact's changed_attributes too (app/models/contact.rb dispatches previous_changes)", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/contact`, { subscriptions: ["contact_updated"] });
    const repository = db.dataSource.getRepository(Contact);
    const before = (await repository.findOneByOrFail({ id: scene.contact.id })).updatedAt.toISOString();
    await repository.save({ ...(await repository.findOneByOrFail({ id: scene.contact.id })), name: "Jane Roe" });
    await settle();
    const after = (await repository.findOneByOrFail({ id: scene.contact.id })).updatedAt.toISOString();
    const [body] = bodiesAt("/contact");
    expect(body).toContain(`"changed_attributes":[{"name":{"previous_value":"Jane Doe","current_value":"Jane Roe"}},{"updated_at":{"previous_value":"${before}","current_value":"${after}"}}]`);
  });

  it("sends each file attachment's MIME type as content_type, right after extension (app/models/attachment.rb file_metadata, spec/models/attachment_spec.rb 'push_event_data includes extension and content_type')", async () => {
    const scene = await makeScene(db.dataSource);
    await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}/attachments`, { subscriptions: ["message_created", "message_updated"] });
    const message = await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "see attached" }));
    await db.dataSource.getRepository(Attachment).save([
      { accountId: scene.account.id, messageId: message.id, fileType: "file", dataUrl: "https://files.test/test.pdf", extension: "pdf", contentType: "application/pdf", fileSize: 8 },
      { accountId: scene.account.id, messageId: message.id, fileType: "audio", dataUrl: "https://files.test/note.ogg", extension: "ogg", contentType: "audio/ogg", fileSize: 3 },
      { accountId: scene.account.id, messageId: message.id, fileType: "image", dataUrl: "https://files.test/old.png", extension: "png" },
      { accountId: scene.account.id, messageId: message.id, fileType: "location", externalUrl: "https://maps.test/x", coordinatesLat: 1.5, coordinatesLong: 2.5, fallbackTitle: "Here" },
    ]);
    // The attachments were saved after the message: its next update is what carries them.
    await db.dataSource.getRepository(Message).save({ ...message, content: "see attached files" });
    await settle();
    const updated = bodiesAt("/attachments").map((body) => JSON.parse(body)).find((body) => body.event === "message_updated");
    const raw = bodiesAt("/attachments").find((body) => body.includes(`"event":"message_updated"`)) as string;
    expect(raw).toContain(`"file_type":"file","account_id":${scene.account.id},"extension":"pdf","content_type":"application/pdf","data_url":"https://files.test/test.pdf"`);
    const [file, audio, image, location] = updated.attachments;
    expect(file.content_type).toBe("application/pdf");
    expect(Object.keys(audio)).toEqual(["id", "message_id", "file_type", "account_id", "extension", "content_type", "data_url", "thumb_url", "file_size", "width", "height", "transcribed_text"]);
    expect(audio.content_type).toBe("audio/ogg");
    // A row that does not know its type says so with null, as a Chatwoot file without one.
    expect(image).toHaveProperty("content_type", null);
    // Locations are not files: no content_type, as in Chatwoot's location_metadata.
    expect(location).not.toHaveProperty("content_type");
    // The conversation's last message (its push form) carries the same attachment keys.
    expect(updated.conversation.messages[0].attachments[0].content_type).toBe("application/pdf");
  });
});
