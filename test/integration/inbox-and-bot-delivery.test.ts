/**
 * Chatwoot's other two webhook kinds, delivered: API-channel inboxes (Chatwoot's
 * `WebhookListener#deliver_api_inbox_webhooks`, `Webhooks::Trigger`) and agent bots
 * (`AgentBotListener`, `AgentBots::WebhookJob`, `Webhooks::ErrorHandler`). Real PostgreSQL, real
 * receivers on loopback, bodies and signatures as the receivers saw them.
 */
import { Account, AgentBot, AgentBotInbox, ChannelApi, Conversation, Message, Webhook, WebhookDelivery } from "../../src/entities";
import type { Webhooks } from "../../src/create-webhooks";
import { BOT_FAILURE_ACTIVITY } from "../../src/delivery/target-effects";
import { testClock } from "../helpers/clock";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeAccount, makeContact, makeConversation, makeInbox, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import express from "express";
import request from "supertest";
import { makeUser } from "../helpers/fixtures";
import { verifyBothSignatures } from "../helpers/signatures";
import { testWebhooks, settle as settleDispatcher } from "../helpers/webhooks";

describe("API-channel inbox and agent-bot delivery", () => {
  let db: TestDatabase;
  let account: Receiver;
  let inboxHook: Receiver;
  let bot: Receiver;
  let webhooks: Webhooks;

  beforeAll(async () => {
    db = await createTestDatabase("inbox_bot_delivery");
  });

  beforeEach(async () => {
    [account, inboxHook, bot] = await Promise.all([startReceiver(), startReceiver(), startReceiver()]);
  });

  afterEach(async () => {
    await webhooks?.close();
    await Promise.all([account.close(), inboxHook.close(), bot.close()]);
    await db.dataSource.query("DELETE FROM webhook_events");
    await db.dataSource.query("DELETE FROM accounts");
    await db.dataSource.query("DELETE FROM agent_bots");
  });

  afterAll(async () => {
    await db.drop();
  });

  const settle = () => settleDispatcher(webhooks);
  const events = (receiver: Receiver) => receiver.requests.map((request) => JSON.parse(request.body).event as string);

  /** An account with an account webhook, an API inbox whose webhook_url is `inboxHook`, and a conversation in it. */
  async function apiScene(fields: Partial<Conversation> = {}) {
    const manager = db.dataSource.manager;
    const acct = await makeAccount(manager);
    const channel = await manager.save(manager.create(ChannelApi, { accountId: acct.id, webhookUrl: `${inboxHook.url}/in` }));
    const inbox = await makeInbox(manager, acct.id, { name: "SMS bridge", channelType: "Channel::Api", channelId: channel.id });
    const webhook = await makeWebhook(manager, acct.id, `${account.url}/acct`, {
      subscriptions: ["message_created", "message_updated", "conversation_created", "conversation_status_changed", "contact_created", "contact_updated"],
    });
    const contact = await makeContact(manager, acct.id);
    const conversation = await makeConversation(manager, inbox, contact, fields);
    return { acct, channel, inbox, webhook, contact, conversation };
  }

  /** A bot with `bot` as its outgoing URL, connected to a fresh web-widget inbox of a new account. */
  async function botScene(status: Conversation["status"] = "pending") {
    const manager = db.dataSource.manager;
    const acct = await makeAccount(manager);
    const agentBot = await manager.save(manager.create(AgentBot, { accountId: acct.id, name: "Helper", outgoingUrl: `${bot.url}/bot` }));
    const inbox = await makeInbox(manager, acct.id);
    await manager.save(AgentBotInbox, { inboxId: inbox.id, agentBotId: agentBot.id, accountId: acct.id });
    const contact = await makeContact(manager, acct.id);
    const conversation = await makeConversation(manager, inbox, contact, { status });
    return { acct, agentBot, inbox, contact, conversation };
  }

  describe("API-channel inbox", () => {
    beforeEach(() => {
      webhooks = testWebhooks(db.dataSource);
    });

    it("gets every conversation and message event of its inbox, signed with the channel's secret, same bytes as the account webhook", async () => {
      const scene = await apiScene();
      const message = await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "Hello" }));
      await settle();

      expect(events(inboxHook)).toEqual(["conversation_created", "message_created"]);
      expect(events(account)).toEqual(["contact_created", "conversation_created", "message_created"]);
      const toInbox = inboxHook.requests[1];
      const toAccount = account.requests[2];
      expect(toInbox.path).toBe("/in");
      verifyBothSignatures(toInbox, scene.channel.secret);
      verifyBothSignatures(toAccount, scene.webhook.secret);
      expect(toInbox.body).toBe(toAccount.body);
      expect(toInbox.headers["x-chatwoot-delivery"]).not.toBe(toAccount.headers["x-chatwoot-delivery"]);
      expect(JSON.parse(toInbox.body)).toMatchObject({ event: "message_created", id: message.id, content: "Hello", inbox: { id: scene.inbox.id, name: "SMS bridge" } });
    });

    it("never gets contact events, nor another inbox's events; typing events do reach it", async () => {
      const scene = await apiScene();
      await makeContact(db.dataSource, scene.acct.id, { name: "Someone else" });
      const web = await makeInbox(db.dataSource, scene.acct.id);
      const other = await makeConversation(db.dataSource, web, scene.contact);
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, other, { content: "elsewhere" }));
      await webhooks.emit.typing({ conversationId: scene.conversation.id, user: { type: "Contact", id: scene.contact.id }, on: true });
      await settle();

      expect(events(account).sort()).toEqual(["contact_created", "contact_created", "conversation_created", "conversation_created", "message_created"].sort());
      expect(events(inboxHook)).toEqual(["conversation_created", "conversation_typing_on"]);
    });

    it("marks a message failed with external_error when its delivery fails, and sent again when a retry succeeds", async () => {
      const clock = testClock(new Date());
      await webhooks.close();
      webhooks = testWebhooks(db.dataSource, { clock, retryJitter: 0 });
      const scene = await apiScene();
      await settle();
      inboxHook.respond(() => ({ status: 503, body: "down" }));
      const message = await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "out", messageType: "outgoing", senderType: null, senderId: null }));
      await settle();

      const failed = await db.dataSource.getRepository(Message).findOneByOrFail({ id: message.id });
      expect(failed.status).toBe("failed");
      expect(failed.contentAttributes).toEqual({ external_error: "HTTP 503" });
      // Marking it is itself a message_updated, which the account webhook receives with the error in content_attributes.
      const updated = account.requests.map((request) => JSON.parse(request.body)).find((body) => body.event === "message_updated");
      expect(updated).toMatchObject({ id: message.id, content_attributes: { external_error: "HTTP 503" } });

      inboxHook.respond(() => ({ status: 200 }));
      clock.advance(6_000);
      await settle();
      const restored = await db.dataSource.getRepository(Message).findOneByOrFail({ id: message.id });
      expect(restored.status).toBe("sent");
      expect(restored.contentAttributes).toEqual({});
      const created = await db.dataSource
        .getRepository(WebhookDelivery)
        .findOneByOrFail({ event: "message_created", webhookId: (await mirrorOf(scene.inbox.id, 1)).id });
      expect(created).toMatchObject({ status: "succeeded", attempts: 2 });
    });

    it("follows the channel: a new webhook_url is used, an empty one sends nothing", async () => {
      const scene = await apiScene();
      await settle();
      const repository = db.dataSource.getRepository(ChannelApi);
      await repository.update(scene.channel.id, { webhookUrl: `${inboxHook.url}/moved` });
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "one" }));
      await settle();
      expect(inboxHook.requests.at(-1)?.path).toBe("/moved");

      await repository.update(scene.channel.id, { webhookUrl: "" });
      const before = inboxHook.requests.length;
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "two" }));
      await settle();
      expect(inboxHook.requests).toHaveLength(before);
      expect(events(account).filter((event) => event === "message_created")).toHaveLength(2);
    });
  });

  describe("agent bot", () => {
    it("gets its inbox's messages and conversation_opened/resolved, signed with the bot's secret; the account webhook never gets the bot-only events", async () => {
      webhooks = testWebhooks(db.dataSource);
      const scene = await botScene("pending");
      const webhook = await makeWebhook(db.dataSource, scene.acct.id, `${account.url}/acct`, { subscriptions: ["message_created", "conversation_status_changed"] });
      const message = await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "Need help" }));
      await settle();
      // Payloads are built when the dispatcher fans an event out, from the rows as they are then.
      await db.dataSource.getRepository(Conversation).save({ ...scene.conversation, status: "resolved" });
      await settle();
      await db.dataSource.getRepository(Conversation).save({ ...scene.conversation, status: "open" });
      await settle();

      expect(events(bot)).toEqual(["message_created", "conversation_resolved", "conversation_opened"]);
      for (const request of bot.requests) verifyBothSignatures(request, scene.agentBot.secret);
      expect(events(account)).toEqual(["message_created", "conversation_status_changed", "conversation_status_changed"]);
      // Same message_created bytes for the bot as for the account webhook.
      expect(bot.requests[0].body).toBe(account.requests[0].body);
      expect(JSON.parse(bot.requests[0].body)).toMatchObject({ id: message.id, event: "message_created" });
      const resolved = JSON.parse(bot.requests[1].body);
      expect(resolved).toMatchObject({ event: "conversation_resolved", id: scene.conversation.displayId, status: "resolved" });
      expect(resolved).not.toHaveProperty("changed_attributes");
      verifyBothSignatures(account.requests[0], webhook.secret);
    });

    it("never gets another inbox's events, nor any while its connection is inactive", async () => {
      webhooks = testWebhooks(db.dataSource);
      const scene = await botScene("open");
      const web = await makeInbox(db.dataSource, scene.acct.id, { name: "Other website" });
      const other = await makeConversation(db.dataSource, web, scene.contact);
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, other, { content: "not for the bot" }));
      await db.dataSource.getRepository(AgentBotInbox).update({ inboxId: scene.inbox.id }, { status: 1 });
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "inactive" }));
      await settle();
      expect(bot.requests).toHaveLength(0);

      await db.dataSource.getRepository(AgentBotInbox).update({ inboxId: scene.inbox.id }, { status: 0 });
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "active again" }));
      await settle();
      expect(bot.requests.map((request) => JSON.parse(request.body).content)).toEqual(["active again"]);
    });

    it("retries 500s three times 3 s apart, then opens the pending conversation with an activity message", async () => {
      const clock = testClock(new Date());
      webhooks = testWebhooks(db.dataSource, { clock });
      const scene = await botScene("pending");
      bot.respond(() => ({ status: 500 }));
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "hello bot" }));
      await settle();
      expect(bot.requests).toHaveLength(1);
      clock.advance(2_900);
      await settle();
      expect(bot.requests).toHaveLength(1);
      clock.advance(100);
      await settle();
      expect(bot.requests).toHaveLength(2);
      expect((await reloadConversation(scene.conversation.id)).status).toBe("pending");
      clock.advance(3_000);
      await settle();
      const messageAttempts = () => bot.requests.filter((request) => JSON.parse(request.body).event === "message_created");
      expect(messageAttempts()).toHaveLength(3);
      clock.advance(60_000);
      await settle();
      expect(messageAttempts()).toHaveLength(3);
      expect(new Set(messageAttempts().map((request) => request.headers["x-chatwoot-delivery"])).size).toBe(1);

      const delivery = await db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ webhookId: (await mirrorOf(scene.inbox.id, 2)).id, event: "message_created" });
      expect(delivery).toMatchObject({ status: "failed", attempts: 3, lastStatusCode: 500 });
      expect((await reloadConversation(scene.conversation.id)).status).toBe("open");
      const activity = await db.dataSource.getRepository(Message).findOneByOrFail({ conversationId: scene.conversation.id, messageType: "activity" });
      expect(activity.content).toBe(BOT_FAILURE_ACTIVITY);
      // Opening it is a status change like any other: the bot is told (conversation_opened), as in Chatwoot.
      expect(events(bot).at(-1)).toBe("conversation_opened");
    });

    it("does not retry a 404 and falls back at once; a conversation that is not pending is left alone", async () => {
      webhooks = testWebhooks(db.dataSource);
      const pending = await botScene("pending");
      bot.respond(() => ({ status: 404 }));
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, pending.conversation, { content: "hi" }));
      await settle();
      expect(bot.requests.filter((request) => JSON.parse(request.body).event === "message_created")).toHaveLength(1);
      expect((await reloadConversation(pending.conversation.id)).status).toBe("open");

      const open = await botScene("open");
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, open.conversation, { content: "hi" }));
      await settle();
      expect((await reloadConversation(open.conversation.id)).status).toBe("open");
      expect(await db.dataSource.getRepository(Message).countBy({ conversationId: open.conversation.id, messageType: "activity" })).toBe(0);
    });

    it("keeps the conversation pending when the account says so (keep_pending_on_bot_failure)", async () => {
      webhooks = testWebhooks(db.dataSource);
      const scene = await botScene("pending");
      await db.dataSource.getRepository(Account).update(scene.acct.id, { settings: { keep_pending_on_bot_failure: true } });
      bot.respond(() => ({ status: 404 }));
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "hi" }));
      await settle();
      expect((await reloadConversation(scene.conversation.id)).status).toBe("pending");
      expect(await db.dataSource.getRepository(Message).countBy({ conversationId: scene.conversation.id, messageType: "activity" })).toBe(0);
    });

    it("fails what is pending for a bot that is disconnected, and sends the next bot the new events only", async () => {
      const clock = testClock(new Date());
      webhooks = testWebhooks(db.dataSource, { clock });
      const scene = await botScene("open");
      bot.respond(() => ({ status: 503 }));
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "first" }));
      await settle();
      const first = await mirrorOf(scene.inbox.id, 2);
      expect(await db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ webhookId: first.id })).toMatchObject({ status: "pending", attempts: 1 });

      const second = await db.dataSource.manager.save(db.dataSource.manager.create(AgentBot, { accountId: scene.acct.id, name: "Next", outgoingUrl: `${bot.url}/next` }));
      await db.dataSource.getRepository(AgentBotInbox).update({ inboxId: scene.inbox.id }, { agentBotId: second.id });
      expect(await db.dataSource.getRepository(WebhookDelivery).findOneByOrFail({ webhookId: first.id })).toMatchObject({ status: "failed", lastError: "the agent bot is no longer connected to this inbox" });

      bot.respond(() => ({ status: 200 }));
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, scene.conversation, { content: "second" }));
      clock.advance(10_000);
      await settle();
      const toNext = bot.requests.filter((request) => request.path === "/next");
      expect(toNext.map((request) => JSON.parse(request.body).content)).toEqual(["second"]);
      verifyBothSignatures(toNext[0], second.secret);
    });
  });

  describe("delivery logs", () => {
    it("lists an API inbox's and a bot's deliveries under their own routes, and redelivers them", async () => {
      webhooks = testWebhooks(db.dataSource);
      const api = await apiScene();
      const botSide = await botScene("open");
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, api.conversation, { content: "to the inbox" }));
      await db.dataSource.getRepository(Message).save(newMessage(db.dataSource, botSide.conversation, { content: "to the bot" }));
      await settle();
      const app = express().use("/api/v1", webhooks.router);
      const admin = await makeUser(db.dataSource, api.acct.id, "administrator");
      const botAdmin = await makeUser(db.dataSource, botSide.acct.id, "administrator");

      const inboxLog = await request(app).get(`/api/v1/accounts/${api.acct.id}/inboxes/${api.inbox.id}/deliveries`).set({ api_access_token: admin.token });
      expect(inboxLog.status).toBe(200);
      expect(inboxLog.body.payload.deliveries.map((d: { event: string; status: string }) => `${d.event}:${d.status}`).sort()).toEqual(["conversation_created:succeeded", "message_created:succeeded"]);
      const botLog = await request(app).get(`/api/v1/accounts/${botSide.acct.id}/agent_bots/${botSide.agentBot.id}/deliveries`).set({ api_access_token: botAdmin.token });
      expect(botLog.body.payload.deliveries.map((d: { event: string }) => d.event)).toEqual(["message_created"]);
      const [delivery] = botLog.body.payload.deliveries as Array<{ id: string }>;
      const detail = await request(app).get(`/api/v1/accounts/${botSide.acct.id}/agent_bots/${botSide.agentBot.id}/deliveries/${delivery.id}`).set({ api_access_token: botAdmin.token });
      expect(detail.body.payload.delivery.body).toBe(bot.requests[0].body);

      const before = bot.requests.length;
      const again = await request(app).post(`/api/v1/accounts/${botSide.acct.id}/agent_bots/${botSide.agentBot.id}/deliveries/${delivery.id}/redeliver`).set({ api_access_token: botAdmin.token });
      expect(again.status).toBe(200);
      expect(again.body.payload.attempt).toMatchObject({ ok: true, trigger: "manual" });
      expect(bot.requests).toHaveLength(before + 1);
      expect(bot.requests.at(-1)?.headers["x-chatwoot-delivery"]).toBe(delivery.id);
      verifyBothSignatures(bot.requests.at(-1)!, botSide.agentBot.secret);

      // Another account's inbox, bot or delivery id is a 404 from either side.
      const crossed = [
        `/api/v1/accounts/${api.acct.id}/agent_bots/${botSide.agentBot.id}/deliveries`,
        `/api/v1/accounts/${api.acct.id}/inboxes/${botSide.inbox.id}/deliveries`,
        `/api/v1/accounts/${api.acct.id}/inboxes/${api.inbox.id}/deliveries/${delivery.id}`,
      ];
      for (const path of crossed) {
        const res = await request(app).get(path).set({ api_access_token: admin.token });
        expect([path, res.status, res.body]).toEqual([path, 404, { error: "Resource could not be found" }]);
      }
    });
  });

  async function reloadConversation(id: number): Promise<Conversation> {
    return db.dataSource.getRepository(Conversation).findOneByOrFail({ id });
  }

  /** The `webhooks` row the triggers keep for an inbox's API channel (1) or its active bot (2). */
  async function mirrorOf(inboxId: number, kind: 1 | 2): Promise<Webhook> {
    return db.dataSource.getRepository(Webhook).findOneByOrFail({ inboxId, webhookType: kind, enabled: true });
  }
});
