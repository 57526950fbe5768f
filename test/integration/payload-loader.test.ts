import type { DataSource, EntityManager } from "typeorm";
import { AgentBot, Attachment, Contact, ContactInbox, Conversation, Inbox, Message } from "../../src/entities";
import type { WebhookEventName } from "../../src/types";
import { buildBodies, type OutboxEvent, type OutboxSubjectType } from "../../src/payloads";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeAccount, makeContact, makeConversation, makeInbox, makeScene, makeUser, newMessage } from "../helpers/fixtures";
import { expectSameJson, loadExample } from "../unit/fixtures/json-order";

let db: TestDatabase;
let ds: DataSource;
let nextEventId = 1;

function outboxEvent(event: WebhookEventName, subjectType: OutboxSubjectType | null, subjectId: number | null, data: Record<string, unknown> | null = null, accountId = 1): OutboxEvent {
  return { id: String(nextEventId++), accountId, inboxId: null, event, subjectType, subjectId, data, createdAt: new Date() };
}

/**
 * buildBodies in its own short transaction, as the dispatcher runs it; also reports the statements
 * it sent, counted on the connection itself (named prepared statements bypass TypeORM's logger).
 */
async function build(events: OutboxEvent[]): Promise<{ bodies: Map<string, string | null>; queries: number }> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  const client = (runner as unknown as { databaseConnection: { query: (...args: unknown[]) => unknown } }).databaseConnection;
  const query = client.query;
  let queries = 0;
  client.query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === "string" ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (text && !/^(START TRANSACTION|COMMIT|ROLLBACK)/i.test(text)) queries += 1;
    return query.apply(this, args);
  };
  try {
    const bodies = await buildBodies(runner.manager, events);
    await runner.commitTransaction();
    return { bodies, queries };
  } finally {
    client.query = query;
    await runner.release();
  }
}

async function bodyOf(event: OutboxEvent): Promise<Record<string, any>> {
  const { bodies } = await build([event]);
  const text = bodies.get(event.id);
  expect(typeof text).toBe("string");
  return JSON.parse(text as string);
}

const BROWSER_ATTRIBUTES = {
  browser: { device_name: "Macbook", browser_name: "Chrome", platform_name: "Macintosh", browser_version: "80.0.3987.122", platform_version: "10.15.2" },
  referer: "http://www.chatwoot.com",
  initiated_at: { timestamp: "Tue Mar 03 2020 18:37:38 GMT-0700 (Mountain Standard Time)" },
};

/** The spec's example scene, saved first so that every id is 1, with the example's exact times. */
async function saveExampleScene(manager: EntityManager) {
  const account = await makeAccount(manager, { name: "Acme Inc" });
  const inbox = await makeInbox(manager, account.id, { name: "Website", channelType: "Channel::WebWidget" });
  const contact = await makeContact(manager, account.id, { name: "Jane Doe", email: "jane@example.com" });
  const contactInbox = await manager.save(ContactInbox, { contactId: contact.id, inboxId: inbox.id, sourceId: "a1b2c3d4-0000-4000-8000-000000000001", pubsubToken: "x8Jd2LQo4m7Vq1Zr9Tc3Ws5N" });
  const conversation = await manager.save(
    Conversation,
    manager.create(Conversation, { accountId: account.id, inboxId: inbox.id, contactId: contact.id, contactInboxId: contactInbox.id, additionalAttributes: BROWSER_ATTRIBUTES }),
  );
  const message = await manager.save(Message, newMessage(manager, conversation, { content: "Hi" }));
  await manager.query(`UPDATE contact_inboxes SET created_at = $1, updated_at = $1 WHERE id = $2`, ["2026-03-03T13:00:00Z", contactInbox.id]);
  await manager.query(`UPDATE conversations SET created_at = $1, updated_at = $2, waiting_since = $3, last_activity_at = $3 WHERE id = $4`, [
    "2026-03-03T13:00:00Z",
    "2026-03-03 13:05:57.123456+00",
    "2026-03-03T13:05:57Z",
    conversation.id,
  ]);
  await manager.query(`UPDATE messages SET created_at = $1, updated_at = $1 WHERE id = $2`, ["2026-03-03T13:05:57Z", message.id]);
  return { account, inbox, contact, contactInbox, conversation, message };
}

let example: Awaited<ReturnType<typeof saveExampleScene>>;

beforeAll(async () => {
  db = await createTestDatabase("payload_loader");
  ds = await db.open();
  example = await saveExampleScene(ds.manager);
});

afterAll(async () => {
  await db?.drop();
});

describe("golden bodies from the database", () => {
  test("the example scene is saved with every id 1", () => {
    const { account, inbox, contact, contactInbox, conversation, message } = example;
    expect([account.id, inbox.id, contact.id, contactInbox.id, conversation.displayId, message.id]).toEqual([1, 1, 1, 1, 1, 1]);
  });

  test("message_created is byte for byte examples/message_created.json, microseconds of updated_at included", async () => {
    const event = outboxEvent("message_created", "Message", example.message.id);
    const { bodies } = await build([event]);
    const text = bodies.get(event.id) as string;
    expectSameJson(text, loadExample("message_created"));
    expect(text).toBe(JSON.stringify(loadExample("message_created")));
    expect(text).toContain('"updated_at":1772543157.123456,');
  });

  test("conversation_status_changed is byte for byte examples/conversation_status_changed.json", async () => {
    await ds.query(`UPDATE conversations SET status = 'resolved' WHERE id = $1`, [example.conversation.id]);
    try {
      const event = outboxEvent("conversation_status_changed", "Conversation", example.conversation.id, {
        changed_attributes: [{ status: { previous_value: "open", current_value: "resolved" } }],
      });
      const { bodies } = await build([event]);
      expect(bodies.get(event.id)).toBe(JSON.stringify(loadExample("conversation_status_changed")));
    } finally {
      await ds.query(`UPDATE conversations SET status = 'open' WHERE id = $1`, [example.conversation.id]);
    }
  });
});

describe("every event type in one batch", () => {
  let scene: Awaited<ReturnType<typeof makeScene>>;
  let agent: Awaited<ReturnType<typeof makeUser>>["user"];
  let bot: AgentBot;
  const saved: Record<string, Message> = {};
  let secondConversation: Conversation;
  let bodies: Map<string, string | null>;
  const events: Record<string, OutboxEvent> = {};
  const body = (name: string) => JSON.parse(bodies.get(events[name].id) as string) as Record<string, any>;

  beforeAll(async () => {
    const m = ds.manager;
    scene = await makeScene(ds);
    ({ user: agent } = await makeUser(ds, scene.account.id, "agent", { name: "Agent Smith", displayName: "Smithy" }));
    bot = await m.save(AgentBot, { accountId: scene.account.id, name: "Helper Bot" });
    await m.update(Conversation, scene.conversation.id, { assigneeId: agent.id, priority: "high", labels: ["vip"] });
    saved.incoming = await m.save(Message, newMessage(m, scene.conversation, { content: "Hello there\n\n" }));
    saved.note = await m.save(Message, newMessage(m, scene.conversation, { content: "internal", messageType: "outgoing", private: true, senderType: "User", senderId: agent.id }));
    await m.save(Attachment, [
      { accountId: scene.account.id, messageId: saved.note.id, fileType: "image", dataUrl: "https://files.test/a.png", thumbUrl: "https://files.test/a-t.png", extension: "png", fileSize: 10, width: 2, height: 3 },
      { accountId: scene.account.id, messageId: saved.note.id, fileType: "file", dataUrl: "https://files.test/b.pdf", extension: "pdf", fileSize: 20 },
    ]);
    saved.botReply = await m.save(Message, newMessage(m, scene.conversation, { content: "Bot here", messageType: "outgoing", senderType: "AgentBot", senderId: bot.id }));
    saved.activity = await m.save(Message, newMessage(m, scene.conversation, { content: "Conversation was assigned", messageType: "activity", senderType: null, senderId: null }));
    secondConversation = await m.save(
      Conversation,
      m.create(Conversation, { accountId: scene.account.id, inboxId: scene.inbox.id, contactId: scene.contact.id, contactInboxId: scene.conversation.contactInboxId }),
    );
    const accountId = scene.account.id;
    Object.assign(events, {
      incoming: outboxEvent("message_created", "Message", saved.incoming.id, null, accountId),
      note: outboxEvent("message_created", "Message", saved.note.id, null, accountId),
      botUpdated: outboxEvent("message_updated", "Message", saved.botReply.id, null, accountId),
      created: outboxEvent("conversation_created", "Conversation", scene.conversation.id, null, accountId),
      updated: outboxEvent("conversation_updated", "Conversation", scene.conversation.id, { changed_attributes: [{ priority: { previous_value: null, current_value: "high" } }] }, accountId),
      statusNoData: outboxEvent("conversation_status_changed", "Conversation", scene.conversation.id, null, accountId),
      contactCreated: outboxEvent("contact_created", "Contact", scene.contact.id, null, accountId),
      contactUpdated: outboxEvent("contact_updated", "Contact", scene.contact.id, { changed_attributes: [{ name: { previous_value: "J", current_value: "Jane Doe" } }] }, accountId),
      inboxCreated: outboxEvent("inbox_created", "Inbox", scene.inbox.id, null, accountId),
      inboxUpdated: outboxEvent("inbox_updated", "Inbox", scene.inbox.id, { changed_attributes: [{ name: { previous_value: "Site", current_value: "Website" } }] }, accountId),
      typingOn: outboxEvent("conversation_typing_on", "Conversation", scene.conversation.id, { conversation_id: scene.conversation.id, user: { type: "User", id: agent.id }, is_private: true }, accountId),
      typingOff: outboxEvent("conversation_typing_off", "Conversation", scene.conversation.id, { conversation_id: scene.conversation.id, user: { type: "Contact", id: scene.contact.id }, is_private: false }, accountId),
      widget: outboxEvent("webwidget_triggered", "ContactInbox", scene.conversation.contactInboxId, { event_info: { referer: "https://shop.test/", widget_language: "en" } }, accountId),
    });
    ({ bodies } = await build(Object.values(events)));
  });

  test("message_created from the contact: contact sender, stripped content, contact, conversation display id", () => {
    const b = body("incoming");
    expect(Object.keys(b)).toEqual(Object.keys(loadExample("message_created")));
    expect(b).toMatchObject({ event: "message_created", id: saved.incoming.id, content: "Hello there", message_type: "incoming", private: false });
    expect(b.sender).toMatchObject({ id: scene.contact.id, name: "Jane Doe", email: scene.contact.email, account: { id: scene.account.id, name: scene.account.name } });
    expect("type" in b.sender).toBe(false);
    expect(b.contact).toEqual({ id: scene.contact.id, name: "Jane Doe" });
    expect(b.conversation.id).toBe(scene.conversation.displayId);
    expect(b.conversation.display_id).toBe(scene.conversation.displayId);
    expect(b.inbox).toEqual({ id: scene.inbox.id, name: scene.inbox.name });
    expect(b.created_at).toBe(saved.incoming.createdAt.toISOString());
  });

  test("a private note from a user with attachments", () => {
    const b = body("note");
    expect(b).toMatchObject({ private: true, message_type: "outgoing", sender: { id: agent.id, name: "Agent Smith", email: agent.email, type: "user" } });
    const keys = Object.keys(b);
    expect(keys.slice(keys.indexOf("source_id"))).toEqual(["source_id", "attachments", "contact", "event"]);
    expect(b.attachments.map((a: any) => [a.file_type, a.data_url, a.thumb_url, a.file_size])).toEqual([
      ["image", "https://files.test/a.png", "https://files.test/a-t.png", 10],
      ["file", "https://files.test/b.pdf", "", 20],
    ]);
  });

  test("the conversation shows its last public non-activity message in push form, with its sender", () => {
    const conversation = body("botUpdated").conversation;
    expect(conversation.messages).toHaveLength(1);
    const pushed = conversation.messages[0];
    expect(pushed).toMatchObject({ id: saved.botReply.id, message_type: 1, conversation_id: scene.conversation.displayId, sender_type: "AgentBot", sender_id: bot.id });
    expect(pushed.sender).toEqual({ id: bot.id, name: "Helper Bot", avatar_url: "", type: "agent_bot" });
    expect(pushed.conversation).toEqual({ assignee_id: agent.id, unread_count: 1, last_activity_at: conversation.last_activity_at, contact_inbox: { source_id: conversation.contact_inbox.source_id } });
    expect(body("botUpdated")).toMatchObject({ event: "message_updated", sender: { id: bot.id, name: "Helper Bot", type: "agent_bot" } });
  });

  test("conversation events: assignee, priority, labels, unread count, changed_attributes", () => {
    const created = body("created");
    expect(Object.keys(created).slice(-3)).toEqual(["account", "display_id", "event"]);
    expect(created).toMatchObject({ event: "conversation_created", id: scene.conversation.displayId, priority: "high", labels: ["vip"], unread_count: 1, status: "open" });
    expect(created.meta.assignee).toMatchObject({ id: agent.id, name: "Agent Smith", available_name: "Smithy", type: "user" });
    expect(created.meta.assignee_type).toBe("User");
    expect(created.meta.sender).toMatchObject({ id: scene.contact.id, type: "contact" });
    expect(typeof created.updated_at).toBe("number");
    expect(Number.isInteger(created.created_at)).toBe(true);
    expect(body("updated")).toMatchObject({ event: "conversation_updated", changed_attributes: [{ priority: { previous_value: null, current_value: "high" } }] });
    expect(body("statusNoData")).toMatchObject({ event: "conversation_status_changed", changed_attributes: null });
  });

  test("contact and inbox events", () => {
    expect(body("contactCreated")).toMatchObject({ event: "contact_created", id: scene.contact.id, name: "Jane Doe", avatar: "", thumbnail: "", account: { id: scene.account.id } });
    expect("changed_attributes" in body("contactCreated")).toBe(false);
    expect(body("contactUpdated").changed_attributes).toEqual([{ name: { previous_value: "J", current_value: "Jane Doe" } }]);
    expect(body("inboxCreated")).toMatchObject({ event: "inbox_created", id: scene.inbox.id, name: scene.inbox.name, account: { id: scene.account.id, name: scene.account.name } });
    expect(body("inboxUpdated")).toMatchObject({ event: "inbox_updated", changed_attributes: [{ name: { previous_value: "Site", current_value: "Website" } }] });
  });

  test("typing events name the user and the conversation", () => {
    const on = body("typingOn");
    expect(Object.keys(on)).toEqual(["event", "user", "conversation", "is_private"]);
    expect(on).toMatchObject({ event: "conversation_typing_on", user: { id: agent.id, name: "Agent Smith", email: agent.email, type: "user" }, is_private: true });
    expect(on.conversation.id).toBe(scene.conversation.displayId);
    expect(body("typingOff")).toMatchObject({ event: "conversation_typing_off", user: { id: scene.contact.id, name: "Jane Doe" }, is_private: false });
  });

  test("webwidget_triggered shows the contact-inbox's latest conversation and the event info", () => {
    const b = body("widget");
    expect(Object.keys(b)).toEqual(["id", "contact", "inbox", "account", "current_conversation", "source_id", "event", "event_info"]);
    expect(b).toMatchObject({ id: scene.conversation.contactInboxId, contact: { id: scene.contact.id }, inbox: { id: scene.inbox.id }, event: "webwidget_triggered", event_info: { referer: "https://shop.test/", widget_language: "en" } });
    expect(b.current_conversation.id).toBe(secondConversation.displayId);
    expect(b.current_conversation.messages).toEqual([]);
    expect(b.current_conversation.unread_count).toBe(0);
  });
});

describe("unread count and last message", () => {
  test("unread counts incoming messages after agent_last_seen_at, at most 10 as Chatwoot's", async () => {
    const m = ds.manager;
    const { conversation } = await makeScene(ds);
    const incoming: Message[] = [];
    for (let i = 0; i < 12; i++) incoming.push(await m.save(Message, newMessage(m, conversation, { content: `m${i}` })));
    const event = () => outboxEvent("conversation_updated", "Conversation", conversation.id);
    expect((await bodyOf(event())).unread_count).toBe(10);

    // Seen up to the 9th message (same instant counts as seen): 3 unread. Outgoing ones never count.
    await m.query(`UPDATE conversations SET agent_last_seen_at = (SELECT created_at FROM messages WHERE id = $1) WHERE id = $2`, [incoming[8].id, conversation.id]);
    await m.save(Message, newMessage(m, conversation, { messageType: "outgoing", senderType: null, senderId: null }));
    const b = await bodyOf(event());
    expect(b.unread_count).toBe(3);
    expect(b.agent_last_seen_at).toBe(Math.floor(incoming[8].createdAt.getTime() / 1000));
    expect(b.messages[0].conversation.unread_count).toBe(3);
  });

  test("private notes and activity messages are never the conversation's last message", async () => {
    const m = ds.manager;
    const { conversation } = await makeScene(ds);
    const empty = await bodyOf(outboxEvent("conversation_created", "Conversation", conversation.id));
    expect(empty.messages).toEqual([]);
    const publicOne = await m.save(Message, newMessage(m, conversation, { content: "public" }));
    await m.save(Message, newMessage(m, conversation, { content: "note", messageType: "outgoing", private: true }));
    await m.save(Message, newMessage(m, conversation, { content: "assigned", messageType: "activity" }));
    const b = await bodyOf(outboxEvent("conversation_created", "Conversation", conversation.id));
    expect(b.messages.map((x: any) => x.id)).toEqual([publicOne.id]);
  });
});

describe("batching", () => {
  test("200 message events across 5 conversations, or 20 of them, are loaded with one query", async () => {
    const m = ds.manager;
    const account = await makeAccount(ds);
    const inbox = await makeInbox(ds, account.id);
    const { user } = await makeUser(ds, account.id, "agent");
    const bot = await m.save(AgentBot, { accountId: account.id, name: "Batch Bot" });
    const conversations: Conversation[] = [];
    for (let i = 0; i < 5; i++) {
      const contact = await makeContact(ds, account.id, { name: `Contact ${i}` });
      conversations.push(await makeConversation(ds, inbox, contact, { assigneeId: i % 2 === 0 ? user.id : null }));
    }
    const senders: Array<Pick<Message, "messageType" | "senderType" | "senderId">> = [
      { messageType: "incoming", senderType: "Contact", senderId: null },
      { messageType: "outgoing", senderType: "User", senderId: user.id },
      { messageType: "outgoing", senderType: "AgentBot", senderId: bot.id },
      { messageType: "template", senderType: null, senderId: null },
    ];
    const rows = Array.from({ length: 200 }, (_, i) => {
      const conversation = conversations[i % 5];
      const sender = senders[i % 4];
      return m.create(Message, newMessage(m, conversation, { content: `message ${i}`, ...sender, senderId: sender.senderType === "Contact" ? conversation.contactId : sender.senderId }));
    });
    const ids = (await m.save(Message, rows)).map((row) => row.id);
    await m.insert(
      Attachment,
      ids.filter((_, i) => i % 7 === 0).map((messageId) => ({ accountId: account.id, messageId, fileType: "image" as const, dataUrl: `https://files.test/${messageId}.png` })),
    );

    const all = ids.map((id) => outboxEvent("message_created", "Message", id, null, account.id));
    const some = all.filter((_, i) => i % 10 === 0);
    const small = await build(some);
    const large = await build(all);

    // One statement whatever the batch: the small one's last messages are not among its events.
    expect(small.queries).toBe(1);
    expect(large.queries).toBe(1);
    const lastIdOf = new Map<number, number>();
    ids.forEach((id, i) => lastIdOf.set(conversations[i % 5].displayId, id));
    for (const [index, event] of all.entries()) {
      const b = JSON.parse(large.bodies.get(event.id) as string);
      expect(b.id).toBe(ids[index]);
      expect(b.content).toBe(`message ${index}`);
      // The contact form has no `type`; users and bots say theirs.
      const senderKind = b.sender === null ? null : (b.sender.type ?? "contact");
      expect(senderKind).toBe(["contact", "user", "agent_bot", null][index % 4]);
      expect(b.message_type).toBe(["incoming", "outgoing", "outgoing", "template"][index % 4]);
      expect("attachments" in b).toBe(index % 7 === 0);
      expect(b.conversation.messages[0].id).toBe(lastIdOf.get(b.conversation.id));
    }
  });
});

describe("deleted subjects", () => {
  test("an event whose row is gone gives null; the rest of the batch is built", async () => {
    const m = ds.manager;
    const { account, inbox, contact, conversation } = await makeScene(ds);
    const doomedMessage = await m.save(Message, newMessage(m, conversation));
    const doomedContact = await makeContact(ds, account.id);
    const doomedConversation = await makeConversation(ds, inbox, contact);
    const doomedInbox = await makeInbox(ds, account.id, { name: "Old" });
    const doomedContactInbox = await m.save(ContactInbox, { contactId: contact.id, inboxId: inbox.id, sourceId: "gone" });
    await m.delete(Message, doomedMessage.id);
    await m.delete(Contact, doomedContact.id);
    await m.delete(Conversation, doomedConversation.id);
    await m.delete(Inbox, doomedInbox.id);
    await m.delete(ContactInbox, doomedContactInbox.id);

    const gone = [
      outboxEvent("message_created", "Message", doomedMessage.id),
      outboxEvent("contact_updated", "Contact", doomedContact.id),
      outboxEvent("conversation_created", "Conversation", doomedConversation.id),
      outboxEvent("conversation_typing_on", "Conversation", doomedConversation.id, { conversation_id: doomedConversation.id, user: { type: "Contact", id: contact.id }, is_private: false }),
      outboxEvent("inbox_updated", "Inbox", doomedInbox.id),
      outboxEvent("webwidget_triggered", "ContactInbox", doomedContactInbox.id, { event_info: {} }),
    ];
    const alive = outboxEvent("conversation_created", "Conversation", conversation.id);
    const { bodies } = await build([...gone, alive]);
    for (const event of gone) expect(bodies.get(event.id)).toBeNull();
    expect(JSON.parse(bodies.get(alive.id) as string).id).toBe(conversation.displayId);
  });

  test("an empty batch sends no query", async () => {
    const { bodies, queries } = await build([]);
    expect(bodies.size).toBe(0);
    expect(queries).toBe(0);
  });
});
