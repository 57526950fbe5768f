import { Router, type Request, type Response } from "express";
import type { WebhooksContext } from "../context";
import { NotFoundError, ValidationError } from "../errors";
import { parseId } from "../ids";
import { generateSecret } from "../security/secret";
import { tablesOf } from "../tables";
import { agentBotJson } from "./agent-bot-json";
import { botTokens, findAgentBot } from "./agent-bot-queries";
import { callerOf } from "./auth";
import { parseOverlapSeconds, secretRotationJson } from "./secret-rotation-json";
import { endOverlap, lockOwner, writeRotation, type RotationOwnerKind, type RotationRow } from "./secret-rotation-queries";
import { webhookJson } from "./webhook-json";
import { findWebhook } from "./webhook-queries";

/**
 * Secret rotation with an overlap (ours; Chatwoot replaces a secret at once), under a path that
 * names the secret's owner, for account webhooks (`/webhooks/:id`), API inboxes
 * (`/inboxes/:inbox_id`) and agent bots (`/agent_bots/:id`):
 * - `POST /:<param>/rotate_secret`, body optional `{"overlap_seconds": n}` (default 24 h, at most
 *   7 days, 0 = no overlap): a new secret, answered once in `payload.secret`, recorded with when
 *   and by whom; the previous one is still signed with until the overlap ends;
 * - `DELETE /:<param>/rotate_secret`: end the overlap now;
 * - `GET /:<param>/rotate_secret`: the last rotation, without any secret.
 * An owner of another account is a 404, decided before anything is written.
 */
export function secretRotationRoutes(ctx: WebhooksContext, param: string, kind: RotationOwnerKind): Router {
  const { dataSource, clock } = ctx.options;
  const router = Router({ mergeParams: true });
  const path = `/:${param}/rotate_secret`;

  router.get(path, async (req, res) => {
    const row = await dataSource.transaction((manager) => mustLock(manager, req, res));
    res.json({ payload: { secret_rotation: secretRotationJson(row, clock()) } });
  });

  router.post(path, async (req, res) => {
    const overlap = parseOverlapSeconds(req.body);
    const { accountId, principal } = callerOf(res);
    const now = clock();
    const row = await dataSource.transaction(async (manager) => {
      const current = await mustLock(manager, req, res);
      const running = secretRotationJson(current, now)?.overlap_active === true;
      // A second overlap would silently drop the secret some receivers may still be on.
      if (running && overlap > 0) throw overlapRunning(current);
      return writeRotation(manager, tablesOf(dataSource), kind, current.row_id, {
        secret: generateSecret(),
        previousSecret: overlap > 0 ? current.secret : null,
        previousSecretExpiresAt: overlap > 0 ? new Date(now.getTime() + overlap * 1000) : null,
        rotatedAt: now,
        rotatedById: principal.userId,
      });
    });
    res.json({ payload: { secret: row.secret, secret_rotation: secretRotationJson(row, now), ...(await ownerJson(accountId, Number(req.params[param]))) } });
  });

  router.delete(path, async (req, res) => {
    const now = clock();
    const row = await dataSource.transaction(async (manager) => {
      const current = await mustLock(manager, req, res);
      return (await endOverlap(manager, tablesOf(dataSource), kind, current.row_id, now)) ?? current;
    });
    res.json({ payload: { secret_rotation: secretRotationJson(row, now) } });
  });

  async function mustLock(manager: Parameters<typeof lockOwner>[0], req: Request, res: Response): Promise<RotationRow> {
    const id = parseId(req.params[param]);
    const row = id === null ? null : await lockOwner(manager, tablesOf(dataSource), kind, callerOf(res).accountId, id);
    if (!row) throw new NotFoundError();
    return row;
  }

  /** The owner as its create route answers it, new secret included: a webhook's W, a bot's JSON. */
  async function ownerJson(accountId: number, id: number): Promise<Record<string, unknown>> {
    if (kind === "webhook") {
      const webhook = await findWebhook(dataSource, accountId, id);
      return webhook ? { webhook: webhookJson(webhook) } : {};
    }
    if (kind === "agent_bot") {
      const bot = await findAgentBot(dataSource, accountId, id, "own");
      return bot ? { agent_bot: agentBotJson(bot, (await botTokens(dataSource, [bot.id])).get(bot.id) ?? null) } : {};
    }
    return {};
  }

  return router;
}

function overlapRunning(row: RotationRow): ValidationError {
  const until = row.previous_secret_expires_at === null ? "" : ` until ${new Date(row.previous_secret_expires_at).toISOString()}`;
  return new ValidationError([
    {
      attribute: "overlap_seconds",
      message: "Secret is already being rotated",
      reason: `the previous secret is signed with${until}; end that overlap first (DELETE …/rotate_secret), or rotate with overlap_seconds 0 to replace both secrets at once`,
    },
  ]);
}
