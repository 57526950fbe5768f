/**
 * Teams (issue 16 item 11) and the conversation_updated triggers on the conversation language and
 * the agent-bot assignee (item 9), on the bytes a real receiver gets. Chatwoot's files:
 * app/models/team.rb (`push_event_data` `{id, name}`, names lower-cased, conversations nullified
 * on delete), app/presenters/conversations/event_data_presenter.rb (`push_meta`: team,
 * `assigned_entity`, `assignee_type`), app/models/conversation.rb (`list_of_keys`, `allowed_keys?`,
 * `reset_agent_bot_when_assignee_present`).
 */
import { AgentBot, Conversation, Message, Team } from "../../src/entities";
import type { Webhooks } from "../../src/create-webhooks";
import { createTestDatabase, type TestDatabase } from "../helpers/database";
import { makeScene, makeUser, makeWebhook, newMessage } from "../helpers/fixtures";
import { startReceiver, type Receiver } from "../helpers/receiver";
import { settle, testWebhooks } from "../helpers/webhooks";

describe("teams and conversation_updated triggers", () => {
  let db: TestDatabase;
  let receiver: Receiver;
  let webhooks: Webhooks;
  let path = 0;

  beforeAll(async () => {
    db = await createTestDatabase("teams_and_triggers");
    receiver = await startReceiver();
    webhooks = testWebhooks(db.dataSource);
  });

  afterAll(async () => {
    await webhooks.close();
    await receiver.close();
    await db.drop();
  });

  async function setup() {
    const scene = await makeScene(db.dataSource);
    const url = `/teams/${(path += 1)}`;
    await makeWebhook(db.dataSource, scene.account.id, `${receiver.url}${url}`, { subscriptions: ["conversation_updated", "message_created"] });
    const delivered = async () => {
      await settle(webhooks);
      return receiver.requests.filter((request) => request.path === url).map((request) => request.body);
    };
    return { ...scene, delivered };
  }

  const conversations = () => db.dataSource.getRepository(Conversation);
  const changedKeys = (body: string) => (JSON.parse(body).changed_attributes as Array<Record<string, unknown>>).map((change) => Object.keys(change)[0]);

  it("a team change is a conversation_updated whose meta.team is the team's {id, name}, the name lower-cased as Chatwoot stores it (app/models/team.rb)", async () => {
    const scene = await setup();
    const team = await db.dataSource.getRepository(Team).save(db.dataSource.getRepository(Team).create({ accountId: scene.account.id, name: "Sales Crew" }));
    expect(team.name).toBe("sales crew");
    const conversation = await conversations().findOneByOrFail({ id: scene.conversation.id });
    await conversations().save({ ...conversation, teamId: team.id });
    await db.dataSource.manager.save(Message, newMessage(db.dataSource, scene.conversation, { content: "for the team" }));

    const bodies = await scene.delivered();
    const updated = bodies.find((body) => JSON.parse(body).event === "conversation_updated") as string;
    expect(updated).toContain(`"changed_attributes":[{"team_id":{"previous_value":null,"current_value":${team.id}}},{"updated_at":`);
    expect(updated).toContain(`"team":{"id":${team.id},"name":"sales crew"}`);
    const created = bodies.find((body) => JSON.parse(body).event === "message_created") as string;
    expect(created).toContain(`"team":{"id":${team.id},"name":"sales crew"}`);
  });

  it("moving the conversation to another team through the relation is a team_id change; deleting the team leaves it without one and sends nothing (dependent: :nullify)", async () => {
    const scene = await setup();
    const teams = db.dataSource.getRepository(Team);
    const [first, second] = await teams.save([teams.create({ accountId: scene.account.id, name: "first" }), teams.create({ accountId: scene.account.id, name: "second" })]);
    await conversations().update(scene.conversation.id, { teamId: first.id });
    const conversation = await conversations().findOneByOrFail({ id: scene.conversation.id });
    conversation.team = second;
    await conversations().save(conversation);
    await teams.delete(second.id);
    expect((await conversations().findOneByOrFail({ id: scene.conversation.id })).teamId).toBeNull();

    const bodies = await scene.delivered();
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain(`{"team_id":{"previous_value":${first.id},"current_value":${second.id}}}`);
  });

  it("additional_attributes that hold conversation_language fire conversation_updated; others do not (allowed_keys?)", async () => {
    const scene = await setup();
    const conversation = await conversations().findOneByOrFail({ id: scene.conversation.id });
    await conversations().save({ ...conversation, additionalAttributes: { browser: { browser_name: "Firefox" } } });
    const withBrowser = await conversations().findOneByOrFail({ id: scene.conversation.id });
    await conversations().save({ ...withBrowser, additionalAttributes: { browser: { browser_name: "Firefox" }, conversation_language: "fr" } });

    const bodies = await scene.delivered();
    expect(bodies).toHaveLength(1);
    expect(changedKeys(bodies[0])).toEqual(["additional_attributes", "updated_at"]);
    expect(bodies[0]).toContain(
      `{"additional_attributes":{"previous_value":{"browser":{"browser_name":"Firefox"}},"current_value":{"browser":{"browser_name":"Firefox"},"conversation_language":"fr"}}}`,
    );
    expect(JSON.parse(bodies[0]).additional_attributes).toEqual({ browser: { browser_name: "Firefox" }, conversation_language: "fr" });
  });

  it("an agent-bot assignee fires conversation_updated and shows as meta.assignee; a user assignee replaces it (assigned_entity, reset_agent_bot_when_assignee_present)", async () => {
    const scene = await setup();
    const bot = await db.dataSource.getRepository(AgentBot).save({ accountId: scene.account.id, name: "Triage" });
    const { user } = await makeUser(db.dataSource, scene.account.id);
    const conversation = await conversations().findOneByOrFail({ id: scene.conversation.id });
    conversation.assigneeAgentBotId = bot.id;
    await conversations().save(conversation);
    // Payloads are built when sent, from the row as it is then: send this one before the next save.
    await settle(webhooks);
    const assigned = await conversations().findOneByOrFail({ id: scene.conversation.id });
    assigned.assigneeId = user.id;
    await conversations().save(assigned);
    expect((await conversations().findOneByOrFail({ id: scene.conversation.id })).assigneeAgentBotId).toBeNull();

    const bodies = await scene.delivered();
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toContain(`"changed_attributes":[{"assignee_agent_bot_id":{"previous_value":null,"current_value":${bot.id}}},{"updated_at":`);
    expect(bodies[0]).toContain(`"meta":{"sender":`);
    expect(bodies[0]).toContain(`"assignee":{"id":${bot.id},"name":"Triage","avatar_url":"","type":"agent_bot"},"assignee_type":"AgentBot","team":null`);
    expect(changedKeys(bodies[1]).sort()).toEqual(["assignee_agent_bot_id", "assignee_id", "updated_at"]);
    expect(JSON.parse(bodies[1]).meta.assignee_type).toBe("User");
  });
});
