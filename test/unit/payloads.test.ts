import {
  attachmentPushData,
  contactEventBody,
  conversationChangedBody,
  conversationCreatedBody,
  conversationWebhookData,
  inboxEventBody,
  messageEventBody,
  stripTrailingNewlines,
  typingEventBody,
  widgetTriggeredBody,
  type AccountRow,
  type Actor,
  type AgentBotRow,
  type AttachmentRow,
  type ContactInboxRow,
  type ContactRow,
  type ConversationFacts,
  type ConversationRow,
  type InboxRow,
  type MessageFacts,
  type MessageRow,
  type UserRow,
} from "../../src/payloads";
import type { ChangedAttributes } from "../../src/types";
import { expectSameJson, keyPaths, loadExample } from "./fixtures/json-order";

/*
 * The example scene of the spec (demo seed data): account 1 "Acme Inc", inbox 1 "Website", contact
 * 1 Jane Doe, conversation display id 1 (row id 7, to prove the display id is what is shown), an
 * incoming "Hi" at 2026-03-03T13:05:57Z. Built fresh for each test so tests can change one field.
 */
const at = (iso: string) => new Date(iso);
const HI_AT = "2026-03-03T13:05:57.000Z";
/** What PostgreSQL holds for the conversation's `updated_at`, in seconds: microseconds a Date cannot carry. */
const UPDATED_AT_SECONDS = 1772543157.123456;

const BROWSER_ATTRIBUTES = {
  browser: { device_name: "Macbook", browser_name: "Chrome", platform_name: "Macintosh", browser_version: "80.0.3987.122", platform_version: "10.15.2" },
  referer: "http://www.chatwoot.com",
  initiated_at: { timestamp: "Tue Mar 03 2020 18:37:38 GMT-0700 (Mountain Standard Time)" },
};

function scene() {
  const account: AccountRow = { id: 1, name: "Acme Inc" };
  const inbox: InboxRow = { id: 1, accountId: 1, name: "Website", channelType: "Channel::WebWidget", createdAt: at("2026-03-01T09:00:00Z"), updatedAt: at("2026-03-02T10:30:00.250Z") };
  const contact: ContactRow = {
    id: 1,
    accountId: 1,
    name: "Jane Doe",
    email: "jane@example.com",
    phoneNumber: null,
    identifier: null,
    avatarUrl: null,
    additionalAttributes: {},
    customAttributes: {},
    blocked: false,
  };
  const contactInbox: ContactInboxRow = {
    id: 1,
    contactId: 1,
    inboxId: 1,
    sourceId: "a1b2c3d4-0000-4000-8000-000000000001",
    hmacVerified: false,
    pubsubToken: "x8Jd2LQo4m7Vq1Zr9Tc3Ws5N",
    createdAt: at("2026-03-03T13:00:00Z"),
    updatedAt: at("2026-03-03T13:00:00Z"),
  };
  const conversation: ConversationRow = {
    id: 7,
    accountId: 1,
    inboxId: 1,
    contactId: 1,
    contactInboxId: 1,
    displayId: 1,
    status: "open",
    priority: null,
    assigneeId: null,
    assigneeAgentBotId: null,
    teamId: null,
    additionalAttributes: structuredClone(BROWSER_ATTRIBUTES),
    customAttributes: {},
    labels: [],
    snoozedUntil: null,
    waitingSince: at(HI_AT),
    firstReplyCreatedAt: null,
    agentLastSeenAt: null,
    contactLastSeenAt: null,
    lastActivityAt: at(HI_AT),
    createdAt: at("2026-03-03T13:00:00Z"),
    updatedAt: at("2026-03-03T13:05:57.123Z"),
  };
  const message: MessageRow = {
    id: 1,
    accountId: 1,
    inboxId: 1,
    conversationId: 7,
    content: "Hi",
    messageType: "incoming",
    contentType: "text",
    contentAttributes: {},
    additionalAttributes: {},
    externalSourceIds: {},
    private: false,
    status: "sent",
    sourceId: null,
    senderType: "Contact",
    senderId: 1,
    createdAt: at(HI_AT),
    updatedAt: at(HI_AT),
  };
  const agent: UserRow = { id: 3, name: "Agent Smith", displayName: null, email: "agent@acme.test", avatarUrl: null };
  const bot: AgentBotRow = { id: 4, name: "Helper Bot", avatarUrl: null };
  return { account, inbox, contact, contactInbox, conversation, message, agent, bot };
}
type Scene = ReturnType<typeof scene>;

const contactActor = (s: Scene): Actor => ({ type: "Contact", contact: s.contact, account: s.account });

function conversationFacts(s: Scene, overrides: Partial<ConversationFacts> = {}): ConversationFacts {
  return {
    conversation: s.conversation,
    account: s.account,
    inbox: s.inbox,
    contact: s.contact,
    contactInbox: s.contactInbox,
    assignee: null,
    lastMessage: { message: s.message, attachments: [], sender: contactActor(s) },
    unreadCount: 1,
    updatedAtSeconds: UPDATED_AT_SECONDS,
    ...overrides,
  };
}

function messageFacts(s: Scene, overrides: Partial<MessageFacts> = {}): MessageFacts {
  return {
    message: s.message,
    account: s.account,
    inbox: s.inbox,
    attachments: [],
    sender: contactActor(s),
    conversation: conversationWebhookData(conversationFacts(s)),
    contact: s.contact,
    ...overrides,
  };
}

/** The body as a receiver parses it. */
const wire = (body: unknown) => JSON.parse(JSON.stringify(body)) as Record<string, any>;

function attachment(fields: Partial<AttachmentRow> = {}): AttachmentRow {
  return {
    id: 11,
    accountId: 1,
    messageId: 1,
    fileType: "image",
    externalUrl: null,
    dataUrl: "https://files.acme.test/cat.png",
    thumbUrl: "https://files.acme.test/cat-thumb.png",
    extension: "png",
    contentType: "image/png",
    fileSize: 2048,
    width: 640,
    height: 480,
    fallbackTitle: null,
    coordinatesLat: null,
    coordinatesLong: null,
    ...fields,
  };
}

const EXAMPLE_CONVERSATION_KEYS = Object.keys(loadExample("conversation_status_changed")).filter((key) => key !== "event" && key !== "changed_attributes");

describe("golden bodies: the spec's examples", () => {
  test("message_created equals examples/message_created.json, key order included", () => {
    const s = scene();
    expectSameJson(messageEventBody("message_created", messageFacts(s)), loadExample("message_created"));
  });

  test("conversation_status_changed equals examples/conversation_status_changed.json, key order included", () => {
    const s = scene();
    s.conversation.status = "resolved";
    const body = conversationChangedBody("conversation_status_changed", conversationWebhookData(conversationFacts(s)), [
      { status: { previous_value: "open", current_value: "resolved" } },
    ]);
    expectSameJson(body, loadExample("conversation_status_changed"));
  });

  // The example's `updated_at` (1772543157.123456) has microseconds, which PostgreSQL keeps and
  // the loader reads as `updatedAtSeconds`. Given only a millisecond Date, the builder sends the
  // milliseconds: everything else is identical and the value stays a float of the same second.
  test("without the microseconds, updated_at is the Date's milliseconds and nothing else changes", () => {
    const s = scene();
    const body = wire(messageEventBody("message_created", messageFacts(s, { conversation: conversationWebhookData(conversationFacts(s, { updatedAtSeconds: undefined })) })));
    expect(body.conversation.updated_at).toBe(1772543157.123);
    const expected = loadExample("message_created") as Record<string, any>;
    expect(Math.floor(expected.conversation.updated_at)).toBe(1772543157);
    expected.conversation.updated_at = 1772543157.123;
    expectSameJson(body, expected);
  });

  test("JSON types: integer ids and seconds, ISO strings with milliseconds, float updated_at", () => {
    const s = scene();
    const body = wire(messageEventBody("message_created", messageFacts(s)));
    const conversation = body.conversation;
    const pushed = conversation.messages[0];
    for (const value of [body.id, body.account.id, body.inbox.id, body.sender.id, body.contact.id, conversation.id, conversation.inbox_id, conversation.display_id, conversation.contact_inbox.id, conversation.unread_count, pushed.id, pushed.conversation_id, pushed.sender_id, pushed.message_type]) {
      expect(Number.isInteger(value)).toBe(true);
    }
    for (const key of ["waiting_since", "agent_last_seen_at", "contact_last_seen_at", "last_activity_at", "timestamp", "created_at"]) {
      expect(Number.isInteger(conversation[key])).toBe(true);
    }
    expect(Number.isInteger(pushed.created_at)).toBe(true);
    expect(typeof conversation.updated_at).toBe("number");
    expect(Number.isInteger(conversation.updated_at)).toBe(false);
    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    for (const value of [body.created_at, pushed.updated_at, conversation.contact_inbox.created_at, conversation.contact_inbox.updated_at]) expect(value).toMatch(iso);
    expect(body.message_type).toBe("incoming");
    expect(pushed.message_type).toBe(0);
    expect(conversation.agent_last_seen_at).toBe(0);
  });
});

describe("message events", () => {
  test("a private note from a user: private true, user sender, string message_type", () => {
    const s = scene();
    s.message = { ...s.message, messageType: "outgoing", private: true, senderType: "User", senderId: 3, content: "internal only" };
    const body = wire(messageEventBody("message_created", messageFacts(s, { sender: { type: "User", user: s.agent } })));
    expect(body.private).toBe(true);
    expect(body.message_type).toBe("outgoing");
    expect(body.sender).toEqual({ id: 3, name: "Agent Smith", email: "agent@acme.test", type: "user" });
    expect(Object.keys(body.sender)).toEqual(["id", "name", "email", "type"]);
  });

  test("message_updated carries the same payload with its own event name", () => {
    const s = scene();
    const created = wire(messageEventBody("message_created", messageFacts(s)));
    const updated = wire(messageEventBody("message_updated", messageFacts(s)));
    expect(updated.event).toBe("message_updated");
    expect({ ...updated, event: "message_created" }).toEqual(created);
    expect(Object.keys(updated)).toEqual(Object.keys(created));
  });

  test("an agent bot sender is {id, name, type: agent_bot}", () => {
    const s = scene();
    const body = wire(messageEventBody("message_created", messageFacts(s, { sender: { type: "AgentBot", agentBot: s.bot } })));
    expect(body.sender).toEqual({ id: 4, name: "Helper Bot", type: "agent_bot" });
    expect(Object.keys(body.sender)).toEqual(["id", "name", "type"]);
  });

  test("no sender gives sender: null, key kept in place", () => {
    const s = scene();
    const body = wire(messageEventBody("message_created", messageFacts(s, { sender: null })));
    expect(body.sender).toBeNull();
    expect(Object.keys(body)).toEqual(Object.keys(loadExample("message_created")));
  });

  test("attachments: present after source_id and before contact; absent means no key", () => {
    const s = scene();
    const without = wire(messageEventBody("message_created", messageFacts(s)));
    expect("attachments" in without).toBe(false);

    const body = wire(messageEventBody("message_created", messageFacts(s, { attachments: [attachment(), attachment({ id: 12, fileType: "file", dataUrl: null, thumbUrl: null, extension: "pdf", contentType: null, width: null, height: null })] })));
    const keys = Object.keys(body);
    expect(keys.slice(keys.indexOf("sender"))).toEqual(["sender", "source_id", "attachments", "contact", "event"]);
    expect(body.attachments).toEqual([
      { id: 11, message_id: 1, file_type: "image", account_id: 1, extension: "png", content_type: "image/png", data_url: "https://files.acme.test/cat.png", thumb_url: "https://files.acme.test/cat-thumb.png", file_size: 2048, width: 640, height: 480 },
      { id: 12, message_id: 1, file_type: "file", account_id: 1, extension: "pdf", content_type: null, data_url: "", thumb_url: "", file_size: 2048, width: null, height: null },
    ]);
    expect(Object.keys(body.attachments[0])).toEqual(["id", "message_id", "file_type", "account_id", "extension", "content_type", "data_url", "thumb_url", "file_size", "width", "height"]);
  });

  test("attachment kinds: location, fallback, contact and audio have Chatwoot's keys", () => {
    const location = attachmentPushData(attachment({ fileType: "location", coordinatesLat: 52.52, coordinatesLong: 13.405, fallbackTitle: "Berlin", externalUrl: "https://maps.example/berlin" }));
    expect(location).toEqual({ id: 11, message_id: 1, file_type: "location", account_id: 1, coordinates_lat: 52.52, coordinates_long: 13.405, fallback_title: "Berlin", data_url: "https://maps.example/berlin" });
    expect(Object.keys(location)).toEqual(["id", "message_id", "file_type", "account_id", "coordinates_lat", "coordinates_long", "fallback_title", "data_url"]);
    expect(attachmentPushData(attachment({ fileType: "fallback", fallbackTitle: "Unsupported", externalUrl: "https://x.example/a" }))).toEqual({
      id: 11, message_id: 1, file_type: "fallback", account_id: 1, fallback_title: "Unsupported", data_url: "https://x.example/a",
    });
    expect(attachmentPushData(attachment({ fileType: "contact", fallbackTitle: "+4930123" }))).toEqual({ id: 11, message_id: 1, file_type: "contact", account_id: 1, fallback_title: "+4930123", meta: {} });
    const audio = attachmentPushData(attachment({ fileType: "audio", extension: "ogg", width: null, height: null, thumbUrl: null }));
    expect(Object.keys(audio)).toEqual(["id", "message_id", "file_type", "account_id", "extension", "content_type", "data_url", "thumb_url", "file_size", "width", "height", "transcribed_text"]);
    expect(audio).toMatchObject({ thumb_url: "", transcribed_text: "" });
  });

  test("trailing newlines are removed from content, in the message and in its push form", () => {
    const s = scene();
    s.message = { ...s.message, content: "line one\nline two\n\r\n\n" };
    const body = wire(messageEventBody("message_created", messageFacts(s)));
    expect(body.content).toBe("line one\nline two");
    expect(body.conversation.messages[0].content).toBe("line one\nline two");
    expect(body.conversation.messages[0].processed_message_content).toBe("line one\nline two");
  });

  test("stripTrailingNewlines keeps inner and leading breaks, null stays null, long runs are linear", () => {
    expect(stripTrailingNewlines("\nHi\n")).toBe("\nHi");
    expect(stripTrailingNewlines("Hi")).toBe("Hi");
    expect(stripTrailingNewlines("\n\n")).toBe("");
    expect(stripTrailingNewlines(null)).toBeNull();
    const hostile = "\n".repeat(200_000) + "x";
    const started = Date.now();
    expect(stripTrailingNewlines(hostile)).toBe(hostile);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe("the conversation's messages[] (push form)", () => {
  test("an outgoing message from a user: integer message_type 1 and the user's push form", () => {
    const s = scene();
    s.agent.displayName = "Smithy";
    s.agent.avatarUrl = "https://avatars.acme.test/3.png";
    const reply: MessageRow = { ...s.message, id: 2, messageType: "outgoing", senderType: "User", senderId: 3, content: "Hello Jane" };
    const conversation = wire(conversationWebhookData(conversationFacts(s, { lastMessage: { message: reply, attachments: [], sender: { type: "User", user: s.agent } } })));
    const pushed = conversation.messages[0];
    expect(pushed.message_type).toBe(1);
    expect(pushed.sender_type).toBe("User");
    expect(pushed.sender).toEqual({ id: 3, name: "Agent Smith", available_name: "Smithy", avatar_url: "https://avatars.acme.test/3.png", type: "user", availability_status: null, thumbnail: "https://avatars.acme.test/3.png" });
    expect(Object.keys(pushed.sender)).toEqual(["id", "name", "available_name", "avatar_url", "type", "availability_status", "thumbnail"]);
  });

  test("template and activity codes, bot sender, no sender and attachments", () => {
    const s = scene();
    const template: MessageRow = { ...s.message, id: 5, messageType: "template", senderType: "AgentBot", senderId: 4 };
    const botPushed = wire(conversationWebhookData(conversationFacts(s, { lastMessage: { message: template, attachments: [attachment({ messageId: 5 })], sender: { type: "AgentBot", agentBot: s.bot } } }))).messages[0];
    expect(botPushed.message_type).toBe(3);
    expect(botPushed.sender).toEqual({ id: 4, name: "Helper Bot", avatar_url: "", type: "agent_bot" });
    const keys = Object.keys(botPushed);
    expect(keys.slice(keys.indexOf("sentiment"))).toEqual(["sentiment", "conversation", "attachments", "sender"]);
    expect(botPushed.attachments[0].message_id).toBe(5);

    const system: MessageRow = { ...s.message, id: 6, messageType: "activity", senderType: null, senderId: null };
    const systemPushed = wire(conversationWebhookData(conversationFacts(s, { lastMessage: { message: system, attachments: [], sender: null } }))).messages[0];
    expect(systemPushed.message_type).toBe(2);
    expect("sender" in systemPushed).toBe(false);
    expect(Object.keys(systemPushed).at(-1)).toBe("conversation");
  });

  test("no last message gives messages: []", () => {
    const conversation = wire(conversationWebhookData(conversationFacts(scene(), { lastMessage: null, unreadCount: 0 })));
    expect(conversation.messages).toEqual([]);
    expect(conversation.unread_count).toBe(0);
  });
});

describe("conversation events", () => {
  test("conversation_created: the conversation payload then event, no changed_attributes", () => {
    const body = wire(conversationCreatedBody(conversationWebhookData(conversationFacts(scene()))));
    expect(Object.keys(body)).toEqual([...EXAMPLE_CONVERSATION_KEYS, "event"]);
    expect(body.event).toBe("conversation_created");
    expect(body.id).toBe(1);
    expect(body.display_id).toBe(1);
  });

  test("conversation_updated with real changed_attributes, and null when none are known", () => {
    const s = scene();
    s.conversation.assigneeId = 3;
    s.conversation.priority = "high";
    s.conversation.labels = ["billing", "vip"];
    s.conversation.snoozedUntil = at("2026-03-04T08:00:00Z");
    s.conversation.status = "snoozed";
    s.conversation.firstReplyCreatedAt = at("2026-03-03T13:06:10.500Z");
    s.conversation.agentLastSeenAt = at("2026-03-03T13:06:11.900Z");
    s.conversation.contactLastSeenAt = at("2026-03-03T13:07:00Z");
    const changes: ChangedAttributes = [{ assignee_id: { previous_value: null, current_value: 3 } }, { priority: { previous_value: null, current_value: "high" } }];
    const payload = conversationWebhookData(conversationFacts(s, { assignee: s.agent }));
    const body = wire(conversationChangedBody("conversation_updated", payload, changes));
    expect(Object.keys(body)).toEqual([...EXAMPLE_CONVERSATION_KEYS, "event", "changed_attributes"]);
    expect(body.event).toBe("conversation_updated");
    expect(body.changed_attributes).toEqual(changes);
    expect(body.meta.assignee).toEqual({ id: 3, name: "Agent Smith", available_name: "Agent Smith", avatar_url: "", type: "user", availability_status: null, thumbnail: "" });
    expect(body.meta.assignee_type).toBe("User");
    expect(body.status).toBe("snoozed");
    expect(body.priority).toBe("high");
    expect(body.labels).toEqual(["billing", "vip"]);
    expect(body.snoozed_until).toBe("2026-03-04T08:00:00.000Z");
    expect(body.first_reply_created_at).toBe("2026-03-03T13:06:10.500Z");
    expect(body.agent_last_seen_at).toBe(1772543171);
    expect(body.contact_last_seen_at).toBe(1772543220);
    expect(body.messages[0].conversation.assignee_id).toBe(3);

    expect(wire(conversationChangedBody("conversation_updated", payload)).changed_attributes).toBeNull();
  });

  test("a conversation without a contact-inbox: contact_inbox and hmac_verified null", () => {
    const s = scene();
    s.conversation.contactInboxId = null;
    const body = wire(conversationWebhookData(conversationFacts(s, { contactInbox: null })));
    expect(body.contact_inbox).toBeNull();
    expect(body.meta.hmac_verified).toBeNull();
    expect(body.messages[0].conversation.contact_inbox).toEqual({ source_id: null });
  });
});

describe("contact events", () => {
  const CONTACT_KEYS = ["account", "additional_attributes", "avatar", "custom_attributes", "email", "id", "identifier", "name", "phone_number", "thumbnail", "blocked"];

  test("contact_created: the contact webhook form then event", () => {
    const s = scene();
    const body = wire(contactEventBody("contact_created", s.contact, s.account));
    expect(Object.keys(body)).toEqual([...CONTACT_KEYS, "event"]);
    expect(body).toEqual({ ...(loadExample("message_created").sender as object), event: "contact_created" });
  });

  test("contact_updated: changed_attributes last; the avatar fills avatar and thumbnail", () => {
    const s = scene();
    s.contact = { ...s.contact, avatarUrl: "https://avatars.acme.test/jane.png", phoneNumber: "+15551234567", identifier: "crm-42", blocked: true, customAttributes: { plan: "pro" } };
    const changes = [{ phone_number: { previous_value: null, current_value: "+15551234567" } }];
    const body = wire(contactEventBody("contact_updated", s.contact, s.account, changes));
    expect(Object.keys(body)).toEqual([...CONTACT_KEYS, "event", "changed_attributes"]);
    expect(body).toMatchObject({ avatar: "https://avatars.acme.test/jane.png", thumbnail: "https://avatars.acme.test/jane.png", phone_number: "+15551234567", identifier: "crm-42", blocked: true, custom_attributes: { plan: "pro" }, changed_attributes: changes });
    expect(wire(contactEventBody("contact_updated", s.contact, s.account)).changed_attributes).toBeNull();
  });
});

describe("inbox events", () => {
  test("inbox_created / inbox_updated: Chatwoot's inbox event keys, then ours, then event", () => {
    const s = scene();
    const created = wire(inboxEventBody("inbox_created", s.inbox, s.account));
    expect(Object.keys(created)).toEqual([
      "allow_messages_after_resolved", "lock_to_single_conversation", "auto_assignment_config", "enable_auto_assignment", "enable_email_collect",
      "greeting_enabled", "greeting_message", "csat_survey_enabled", "business_name", "sender_name_type", "timezone", "out_of_office_message",
      "working_hours_enabled", "working_hours", "created_at", "updated_at", "channel", "id", "name", "account", "event",
    ]);
    expect(created).toMatchObject({ id: 1, name: "Website", account: { id: 1, name: "Acme Inc" }, created_at: "2026-03-01T09:00:00.000Z", updated_at: "2026-03-02T10:30:00.250Z", event: "inbox_created" });
    const changes = [{ name: { previous_value: "Site", current_value: "Website" } }];
    const updated = wire(inboxEventBody("inbox_updated", s.inbox, s.account, changes));
    expect(Object.keys(updated).slice(-2)).toEqual(["event", "changed_attributes"]);
    expect(updated.changed_attributes).toEqual(changes);
  });
});

describe("typing events", () => {
  test("conversation_typing_on by an agent: {event, user, conversation, is_private}", () => {
    const s = scene();
    const conversation = conversationWebhookData(conversationFacts(s));
    const body = wire(typingEventBody("conversation_typing_on", { type: "User", user: s.agent }, conversation, true));
    expect(Object.keys(body)).toEqual(["event", "user", "conversation", "is_private"]);
    expect(body.event).toBe("conversation_typing_on");
    expect(body.user).toEqual({ id: 3, name: "Agent Smith", email: "agent@acme.test", type: "user" });
    expect(body.is_private).toBe(true);
    expect(body.conversation).toEqual(wire(conversation));
  });

  test("conversation_typing_off by the contact, by a bot, and by nobody known", () => {
    const s = scene();
    const conversation = conversationWebhookData(conversationFacts(s));
    const byContact = wire(typingEventBody("conversation_typing_off", contactActor(s), conversation, false));
    expect(byContact.event).toBe("conversation_typing_off");
    expect(byContact.user).toEqual(loadExample("message_created").sender);
    expect(byContact.is_private).toBe(false);
    expect(wire(typingEventBody("conversation_typing_off", { type: "AgentBot", agentBot: s.bot }, conversation, false)).user).toEqual({ id: 4, name: "Helper Bot", type: "agent_bot" });
    expect(wire(typingEventBody("conversation_typing_off", null, conversation, false)).user).toBeNull();
  });
});

describe("webwidget_triggered", () => {
  test("contact-inbox payload, event, then event_info", () => {
    const s = scene();
    const conversation = conversationWebhookData(conversationFacts(s));
    const eventInfo = { initiated_at: { timestamp: "Tue Mar 03 2026" }, referer: "https://acme.test/pricing", widget_language: "en", browser_language: "en", browser: { browser_name: "Firefox" } };
    const body = wire(widgetTriggeredBody({ contactInbox: s.contactInbox, contact: { contact: s.contact, account: s.account }, inbox: s.inbox, account: s.account, currentConversation: conversation }, eventInfo));
    expect(Object.keys(body)).toEqual(["id", "contact", "inbox", "account", "current_conversation", "source_id", "event", "event_info"]);
    expect(body.id).toBe(1);
    expect(body.contact).toEqual(loadExample("message_created").sender);
    expect(body.inbox).toEqual({ id: 1, name: "Website" });
    expect(body.account).toEqual({ id: 1, name: "Acme Inc" });
    expect(body.current_conversation).toEqual(wire(conversation));
    expect(body.source_id).toBe("a1b2c3d4-0000-4000-8000-000000000001");
    expect(body.event).toBe("webwidget_triggered");
    expect(body.event_info).toEqual(eventInfo);
  });

  test("no conversation yet and no event info: nulls", () => {
    const s = scene();
    const body = wire(widgetTriggeredBody({ contactInbox: s.contactInbox, contact: { contact: s.contact, account: s.account }, inbox: s.inbox, account: s.account, currentConversation: null }, undefined));
    expect(body.current_conversation).toBeNull();
    expect(body.event_info).toBeNull();
    expect(keyPaths(body)).toContain("contact.account.name");
  });
});
