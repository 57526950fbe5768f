import type { RequestHandler, Response } from "express";
import type { DataSource } from "typeorm";
import type { WebhooksContext } from "../context";
import { AccessToken, Account, AccountUser } from "../entities";
import { AuthError, NotFoundError } from "../errors";
import type { Authenticate, Principal } from "../options";
import { readAccessToken } from "./access-token";
import { parseId } from "../ids";

/** Tokens are `varchar(255)`: a longer header cannot match and is not looked up. */
const MAX_TOKEN_LENGTH = 255;

/** Who passed the administrator check, for the handlers after it. */
export interface AuthorizedCaller {
  accountId: number;
  principal: Principal;
}

const callers = new WeakMap<Response, AuthorizedCaller>();

/** The default {@link Authenticate}: the library's `access_tokens` and `account_users` tables. */
export function tokenAuthenticate(dataSource: DataSource): Authenticate {
  return async (req, accountId) => {
    const token = readAccessToken(req);
    if (!token || token.length > MAX_TOKEN_LENGTH) return null;
    const row = await dataSource
      .createQueryBuilder(AccessToken, "token")
      .leftJoin(AccountUser, "membership", "membership.userId = token.userId AND membership.accountId = :accountId", { accountId })
      .select("token.userId", "user_id")
      .addSelect("token.agentBotId", "agent_bot_id")
      .addSelect("membership.role", "role")
      .where("token.token = :token", { token })
      .getRawOne<{ user_id: number; agent_bot_id: number | null; role: string | null }>();
    if (!row) return null;
    // A bot answers through the host's message routes; managing webhooks and bots is for people.
    if (row.agent_bot_id !== null) throw AuthError.botNotAllowed();
    const role = row.role === null ? null : row.role === "administrator" ? "administrator" : "agent";
    return { userId: row.user_id, role };
  };
}

/**
 * Runs before anything else on every management route (before the body is even parsed), in
 * Chatwoot's order (its API base controller authenticates, then finds the account, then checks
 * the membership):
 * 1. not authenticated: without a token → 401 `{"errors":["You need to sign in or sign up before
 *    continuing."]}`; with an unknown token, or token headers that disagree (see
 *    `readAccessToken`) → 401 `Invalid Access Token`;
 * 2. no such account, or an account id that is not a positive int4 → 404 `Resource could not be found`;
 * 3. not a member of the account → 401 `You are not authorized to access this account`;
 * 4. a member who is not an administrator → 401 `You are not authorized to do this action`.
 * Steps 3 and 4 add a `reason` key (ours) naming the role the routes need and the user's own.
 * A custom `authenticate` decides step 1 (returning null), so it may use other credentials.
 */
export function requireAdministrator(ctx: WebhooksContext): RequestHandler {
  const { dataSource } = ctx.options;
  const authenticate = ctx.options.authenticate ?? tokenAuthenticate(dataSource);
  return async (req, res, next) => {
    // Conflicting token headers are refused whoever authenticates (a custom `authenticate` too).
    const token = readAccessToken(req);
    const accountId = parseId(req.params.account_id);
    // An impossible account id still gets its token checked first, as account 0 (which never exists).
    const principal = await authenticate(req, accountId ?? 0);
    if (!principal) throw token === null ? AuthError.signInRequired() : AuthError.invalidToken();
    if (accountId === null || !(await dataSource.getRepository(Account).existsBy({ id: accountId }))) throw new NotFoundError();
    if (principal.role === null) throw AuthError.notInAccount(accountId);
    if (principal.role !== "administrator") throw AuthError.notAdministrator(principal.role);
    callers.set(res, { accountId, principal });
    next();
  };
}

/** The caller {@link requireAdministrator} let through. */
export function callerOf(res: Response): AuthorizedCaller {
  const caller = callers.get(res);
  if (!caller) throw new TypeError("callerOf(): requireAdministrator() did not run for this request.");
  return caller;
}
