/**
 * Secret rotation of the other two webhook kinds: an API-channel inbox (`channel_api.secret`,
 * `…/inboxes/:inbox_id/rotate_secret`) and an agent bot (`agent_bots.secret`,
 * `…/agent_bots/:id/rotate_secret`). The triggers carry the previous secret and its expiry onto
 * the mirror rows; what the receivers saw is checked with both verifiers; isolation per account.
 */
import { createServer, type Server } from "node:http";
import express from "express";
import request from "supertest";
import type { Webhooks } from "../../src/create-webhooks";
import { AgentBot, AgentBotInbox, ChannelApi, Inbox, Message, Webhook } from "../../src/entities";
import { makeTenant, type Tenant } from "../helpers/api";
import { testClock, type TestClock } from "../helpers/clock";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeContact, makeConversation, makeInbox, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { chatwootAccepts, standardAccepts } from "../helpers/signatures";
import { settle, testWebhooks } from "../helpers/webhooks";

describe("secret rotation of API inboxes and agent bots", () => {
  let db: TestDatabase;
  let receiver: Receiver;
  let webhooks: Webhooks;
  let server: Server;
  let clock: TestClock;
  let tenant: Tenant;
  let other: Tenant;

  beforeAll(async () => {
    db = await createTestDatabase("secret_rotation_targets");
    clock = testClock(new Date());
    webhooks = testWebhooks(db.dataSource, { clock });
    server = createServer(express().use("/api/v1", webhooks.router)).listen(0, "127.0.0.1");
    tenant = await makeTenant(db.dataSource);
    other = await makeTenant(db.dataSource);
    receiver = await startReceiver();
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await webhooks.close();
    await receiver.close();
    await db.drop();
  });

  const as = (t: Tenant) => ({ api_access_token: t.adminToken });
  const manager = () => db.dataSource.manager;

  /** A message in `inbox`, delivered: the request its target (API inbox or bot) received. */
  async function deliverTo(inboxId: number) {
    const inbox = await manager().findOneByOrFail(Inbox, { id: inboxId });
    const conversation = await makeConversation(manager(), inbox, await makeContact(manager(), tenant.account.id));
    const before = receiver.requests.length;
    await manager().getRepository(Message).save(newMessage(manager(), conversation));
    await settle(webhooks);
    const all = await receiver.waitFor(before + 1);
    return all[all.length - 1];
  }

  const mirrorRotation = async (type: number, inboxId: number) => (await manager().findOneByOrFail(Webhook, { webhookType: type, inboxId })).rotation;

  it("an API inbox: both signatures during the overlap, mirrored to its webhook row; ending it early leaves the new secret only", async () => {
    const channel = await manager().save(manager().create(ChannelApi, { accountId: tenant.account.id, webhookUrl: `${receiver.url}/inbox` }));
    const inbox = await makeInbox(manager(), tenant.account.id, { channelType: "Channel::Api", channelId: channel.id });
    const path = `/api/v1/accounts/${tenant.account.id}/inboxes/${inbox.id}/rotate_secret`;

    const res = await request(server).post(path).set(as(tenant)).send({ overlap_seconds: 600 });
    expect(res.status).toBe(200);
    const fresh: string = res.body.payload.secret;
    expect(res.body.payload.secret_rotation).toMatchObject({ rotated_at: clock().toISOString(), overlap_active: true });
    const stored = await manager().findOneByOrFail(ChannelApi, { id: channel.id });
    expect(stored.secret).toBe(fresh);
    expect(stored.rotation).toMatchObject({ previousSecret: channel.secret, rotatedAt: clock(), rotatedById: expect.any(Number) });
    expect(await mirrorRotation(1, inbox.id)).toMatchObject({ previousSecret: channel.secret, previousSecretExpiresAt: new Date(clock().getTime() + 600_000) });

    // Events of an inbox with no conversation yet: the conversation and then the message.
    const during = await deliverTo(inbox.id);
    expect(during.path).toBe("/inbox");
    expect([standardAccepts(during, channel.secret), standardAccepts(during, fresh)]).toEqual([true, true]);
    expect([chatwootAccepts(during, channel.secret), chatwootAccepts(during, fresh)]).toEqual([true, false]);

    const ended = await request(server).delete(path).set(as(tenant));
    expect(ended.body.payload.secret_rotation).toMatchObject({ overlap_active: false, overlap_ends_at: clock().toISOString() });
    expect((await mirrorRotation(1, inbox.id)).previousSecret).toBeNull();
    const after = await deliverTo(inbox.id);
    expect([standardAccepts(after, channel.secret), standardAccepts(after, fresh)]).toEqual([false, true]);
    expect([chatwootAccepts(after, channel.secret), chatwootAccepts(after, fresh)]).toEqual([false, true]);

    // Chatwoot's reset (no overlap) is the same route with 0.
    const reset = await request(server).post(path).set(as(tenant)).send({ overlap_seconds: 0 });
    expect(reset.body.payload.secret_rotation).toMatchObject({ overlap_ends_at: null, overlap_active: false });
    const replaced = await deliverTo(inbox.id);
    expect([chatwootAccepts(replaced, fresh), chatwootAccepts(replaced, reset.body.payload.secret)]).toEqual([false, true]);
  });

  it("an agent bot: both signatures during the overlap on every inbox it serves, the new one only once it ran out", async () => {
    const bot = await manager().save(manager().create(AgentBot, { accountId: tenant.account.id, name: "Helper", outgoingUrl: `${receiver.url}/bot` }));
    const inbox = await makeInbox(manager(), tenant.account.id);
    await manager().save(AgentBotInbox, { inboxId: inbox.id, agentBotId: bot.id, accountId: tenant.account.id });
    const path = `/api/v1/accounts/${tenant.account.id}/agent_bots/${bot.id}/rotate_secret`;

    const res = await request(server).post(path).set(as(tenant)).send({ overlap_seconds: 120 });
    expect(res.status).toBe(200);
    const fresh: string = res.body.payload.secret;
    // Answered as the bot's create answers, new secret included.
    expect(res.body.payload.agent_bot).toMatchObject({ id: bot.id, secret: fresh });
    expect(await mirrorRotation(2, inbox.id)).toMatchObject({ previousSecret: bot.secret });

    const during = await deliverTo(inbox.id);
    expect(during.path).toBe("/bot");
    expect([standardAccepts(during, bot.secret), standardAccepts(during, fresh)]).toEqual([true, true]);
    expect([chatwootAccepts(during, bot.secret), chatwootAccepts(during, fresh)]).toEqual([true, false]);

    clock.advance(120_000);
    const after = await deliverTo(inbox.id);
    expect([standardAccepts(after, bot.secret), standardAccepts(after, fresh)]).toEqual([false, true]);
    expect([chatwootAccepts(after, bot.secret), chatwootAccepts(after, fresh)]).toEqual([false, true]);
    expect((await request(server).get(path).set(as(tenant))).body.payload.secret_rotation).toMatchObject({ overlap_active: false });

    // Ending early reaches the mirror rows too (the bot trigger fires on the previous secret's columns).
    await request(server).post(path).set(as(tenant)).expect(200);
    expect((await mirrorRotation(2, inbox.id)).previousSecret).not.toBeNull();
    await request(server).delete(path).set(as(tenant)).expect(200);
    expect((await mirrorRotation(2, inbox.id)).previousSecret).toBeNull();
  });

  it("another account's inbox or bot, a system bot and an inbox that is not an API channel are unknown (404); nothing changes", async () => {
    const channel = await manager().save(manager().create(ChannelApi, { accountId: tenant.account.id, webhookUrl: "https://in.example.com/h" }));
    const apiInbox = await makeInbox(manager(), tenant.account.id, { channelType: "Channel::Api", channelId: channel.id });
    const bot = await manager().save(manager().create(AgentBot, { accountId: tenant.account.id, name: "Mine" }));
    const system = await manager().save(manager().create(AgentBot, { accountId: null, name: "Global" }));
    const paths = [
      `/api/v1/accounts/${other.account.id}/inboxes/${apiInbox.id}/rotate_secret`,
      `/api/v1/accounts/${other.account.id}/agent_bots/${bot.id}/rotate_secret`,
      `/api/v1/accounts/${tenant.account.id}/agent_bots/${system.id}/rotate_secret`,
      `/api/v1/accounts/${tenant.account.id}/inboxes/${tenant.inbox.id}/rotate_secret`,
    ];
    for (const path of paths) {
      for (const method of ["get", "post", "delete"] as const) {
        const owner = path.includes(`/${other.account.id}/`) ? other : tenant;
        const res = await request(server)[method](path).set(as(owner));
        expect([path, method, res.status, res.body]).toEqual([path, method, 404, { error: "Resource could not be found" }]);
      }
    }
    // Another account's administrator with the right account in the path is not a member there.
    expect((await request(server).post(`/api/v1/accounts/${tenant.account.id}/inboxes/${apiInbox.id}/rotate_secret`).set(as(other))).status).toBe(401);
    expect((await manager().findOneByOrFail(ChannelApi, { id: channel.id })).secret).toBe(channel.secret);
    expect((await manager().findOneByOrFail(AgentBot, { id: bot.id })).rotation.rotatedAt).toBeNull();
    expect((await manager().findOneByOrFail(AgentBot, { id: system.id })).secret).toBe(system.secret);
  });
});
