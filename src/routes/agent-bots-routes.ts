import { Router, type Request, type Response } from "express";
import type { WebhooksContext } from "../context";
import { AccessToken, AgentBot, AgentBotInbox, Inbox } from "../entities";
import { NotFoundError, ValidationError } from "../errors";
import { generateSecret } from "../security/secret";
import { agentBotJson } from "./agent-bot-json";
import { resolveAgentBotChanges } from "./agent-bot-input";
import { botTokens, findAgentBot, listAgentBots } from "./agent-bot-queries";
import { callerOf } from "./auth";
import { parseId } from "../ids";

/**
 * Chatwoot's agent-bot routes, relative to `/accounts/:account_id/agent_bots`: list (the account's
 * bots and the system bots), show, create (with its access token and signing secret), update and
 * delete (the account's own bots only). Bodies as JSON, wrapped in `agent_bot` or not.
 */
export function agentBotsRoutes(ctx: WebhooksContext): Router {
  const { dataSource, allowPrivateNetwork, allowedCidrs } = ctx.options;
  const policy = { allowPrivateNetwork, allowedCidrs };
  const router = Router({ mergeParams: true });

  const render = async (bot: AgentBot) => agentBotJson(bot, (await botTokens(dataSource, [bot.id])).get(bot.id) ?? null);

  router.get("/", async (_req, res) => {
    const bots = await listAgentBots(dataSource, callerOf(res).accountId);
    const tokens = await botTokens(dataSource, bots.map((bot) => bot.id));
    res.json(bots.map((bot) => agentBotJson(bot, tokens.get(bot.id) ?? null)));
  });

  router.get("/:id", async (req, res) => {
    const bot = await mustFind(callerOf(res).accountId, String(req.params.id), "visible");
    res.json(await render(bot));
  });

  router.post("/", async (req, res) => {
    const { accountId } = callerOf(res);
    const changes = await resolveAgentBotChanges(req.body, "create", policy);
    const bot = await dataSource.transaction(async (manager) => {
      const created = await manager.save(
        manager.create(AgentBot, {
          accountId,
          name: changes.name,
          description: changes.description ?? null,
          outgoingUrl: changes.outgoingUrl ?? null,
          botType: 0,
          botConfig: changes.botConfig ?? {},
        }),
      );
      await manager.save(manager.create(AccessToken, { agentBotId: created.id, userId: null, token: generateSecret() }));
      return created;
    });
    res.json(await render(bot));
  });

  const update = async (req: Request, res: Response) => {
    const { accountId } = callerOf(res);
    const bot = await mustFind(accountId, String(req.params.id), "own");
    const changes = await resolveAgentBotChanges(req.body, "update", policy);
    if (changes.name !== undefined) bot.name = changes.name;
    if (changes.description !== undefined) bot.description = changes.description;
    if (changes.outgoingUrl !== undefined) bot.outgoingUrl = changes.outgoingUrl;
    if (changes.botConfig !== undefined) bot.botConfig = changes.botConfig;
    res.json(await render(await dataSource.getRepository(AgentBot).save(bot)));
  };
  router.patch("/:id", update);
  router.put("/:id", update);

  router.delete("/:id", async (req, res) => {
    const { accountId } = callerOf(res);
    const bot = await mustFind(accountId, String(req.params.id), "own");
    await dataSource.getRepository(AgentBot).delete({ id: bot.id, accountId });
    res.status(200).end();
  });

  async function mustFind(accountId: number, rawId: string, scope: "own" | "visible"): Promise<AgentBot> {
    const id = parseId(rawId);
    const bot = id === null ? null : await findAgentBot(dataSource, accountId, id, scope);
    if (!bot) throw new NotFoundError();
    return bot;
  }

  return router;
}

/**
 * Chatwoot's inbox routes for its bot, relative to `/accounts/:account_id/inboxes`:
 * `POST /:inbox_id/set_agent_bot` with `{"agent_bot": id}` connects the bot (the account's own or
 * a system bot; another account's bot is a 404), `{"agent_bot": null}` disconnects it; both answer
 * 200 with an empty body. `GET /:inbox_id/agent_bot` answers `{"agent_bot": {...}}`, or
 * `{"agent_bot": {}}` when the inbox has none.
 */
export function inboxBotRoutes(ctx: WebhooksContext): Router {
  const { dataSource } = ctx.options;
  const router = Router({ mergeParams: true });

  router.post("/:inbox_id/set_agent_bot", async (req, res) => {
    const { accountId } = callerOf(res);
    const inbox = await mustFindInbox(accountId, String(req.params.inbox_id));
    const body = (typeof req.body === "object" && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const raw = body.agent_bot;
    // Absent, null or "" disconnects; anything else must name a bot.
    const connect = raw !== undefined && raw !== null && raw !== "";
    if (connect && typeof raw !== "number" && typeof raw !== "string") {
      throw new ValidationError([{ attribute: "agent_bot", message: "Agent bot is invalid" }]);
    }
    await dataSource.transaction(async (manager) => {
      if (connect) {
        const botId = parseId(String(raw));
        const bot = botId === null ? null : await findAgentBot(manager, accountId, botId, "visible");
        if (!bot) throw new NotFoundError();
        const existing = await manager.findOneBy(AgentBotInbox, { inboxId: inbox.id });
        if (existing) {
          existing.agentBotId = bot.id;
          await manager.save(existing);
        } else {
          await manager.save(manager.create(AgentBotInbox, { inboxId: inbox.id, agentBotId: bot.id, accountId }));
        }
      } else {
        await manager.delete(AgentBotInbox, { inboxId: inbox.id });
      }
    });
    res.status(200).end();
  });

  router.get("/:inbox_id/agent_bot", async (req, res) => {
    const { accountId } = callerOf(res);
    const inbox = await mustFindInbox(accountId, String(req.params.inbox_id));
    const link = await dataSource.getRepository(AgentBotInbox).findOneBy({ inboxId: inbox.id });
    const bot = link ? await findAgentBot(dataSource, accountId, link.agentBotId, "visible") : null;
    const token = bot ? ((await botTokens(dataSource, [bot.id])).get(bot.id) ?? null) : null;
    res.json({ agent_bot: bot ? agentBotJson(bot, token) : {} });
  });

  async function mustFindInbox(accountId: number, rawId: string): Promise<Inbox> {
    const id = parseId(rawId);
    const inbox = id === null ? null : await dataSource.getRepository(Inbox).findOneBy({ id, accountId });
    if (!inbox) throw new NotFoundError();
    return inbox;
  }

  return router;
}
