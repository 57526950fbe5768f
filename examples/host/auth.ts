import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { DataSource } from "typeorm";
import { AccessToken, Account, AccountUser, AgentBot, AgentBotInbox, AuthError, readAccessToken, type AccountRole } from "../../src";
import { notFound } from "./http-errors";
import { pathId } from "./params";

/** The caller of a host route, once authenticated for the account in the path. */
export interface Member {
  accountId: number;
  /** The user; null when an agent bot calls with its own token. */
  userId: number | null;
  role: AccountRole;
  /** The agent bot calling with its own access token, when it is one. */
  agentBotId: number | null;
}

/**
 * Chatwoot's API authentication for the host routes: the access token, read with the library's
 * `readAccessToken` (`api_access_token` in any spelling Rack accepts, such as `Api-Access-Token`,
 * or `Authorization: Bearer <token>`; two that disagree are refused), must belong to a user of
 * the account in the path (no token at all is Chatwoot's sign-in failure, an account that does
 * not exist a 404). Any member
 * will do: agents send messages too. With `{ bots: true }` an agent bot's token is accepted as
 * well, when the bot is the account's or a system bot (the route then checks the conversation's
 * inbox is the bot's); other routes refuse bots as Chatwoot does. Sets `res.locals.member`.
 */
export function requireMember(dataSource: DataSource, { bots = false }: { bots?: boolean } = {}): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = readAccessToken(req);
    if (token === null) throw AuthError.signInRequired();
    const access = await dataSource.getRepository(AccessToken).findOneBy({ token });
    if (!access) throw AuthError.invalidToken();
    if (access.agentBotId !== null && !bots) throw AuthError.botNotAllowed();
    // Chatwoot finds the account after authenticating: an unknown or malformed id is a 404.
    const accountId = pathId(req.params.account_id);
    if (!(await dataSource.getRepository(Account).existsBy({ id: accountId }))) throw notFound();
    if (access.agentBotId !== null) {
      const bot = await dataSource.getRepository(AgentBot).findOneBy({ id: access.agentBotId });
      if (!bot || (bot.accountId !== null && bot.accountId !== accountId)) throw AuthError.notInAccount();
      res.locals.member = { accountId, userId: null, role: "agent", agentBotId: bot.id } satisfies Member;
      return next();
    }
    if (access.userId === null) throw AuthError.invalidToken();
    const membership = await dataSource.getRepository(AccountUser).findOneBy({ accountId, userId: access.userId });
    if (!membership) throw AuthError.notInAccount(accountId);
    res.locals.member = { accountId, userId: access.userId, role: membership.role, agentBotId: null } satisfies Member;
    next();
  };
}

/** A bot may act only in the inboxes it is connected to (a system bot's token must not reach other accounts' conversations). */
export async function assertBotInInbox(dataSource: DataSource, member: Member, inboxId: number): Promise<void> {
  if (member.agentBotId === null) return;
  if (!(await dataSource.getRepository(AgentBotInbox).existsBy({ inboxId, agentBotId: member.agentBotId }))) throw AuthError.notAdministrator();
}

/** The member {@link requireMember} authenticated. */
export function memberOf(res: Response): Member {
  return res.locals.member as Member;
}
