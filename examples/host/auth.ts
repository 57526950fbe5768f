import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { DataSource } from "typeorm";
import { AccessToken, AccountUser, AuthError, type AccountRole } from "../../src";
import { pathId } from "./params";

/** The caller of a host route, once authenticated for the account in the path. */
export interface Member {
  accountId: number;
  userId: number;
  role: AccountRole;
}

/**
 * Chatwoot's API authentication for the host routes: the `api_access_token` header (or
 * `Authorization: Bearer <token>`) must belong to a user of the account in the path. Any member
 * will do: agents send messages too. Sets `res.locals.member`.
 */
export function requireMember(dataSource: DataSource): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const token = tokenOf(req);
    const access = token ? await dataSource.getRepository(AccessToken).findOneBy({ token }) : null;
    if (!access || access.userId === null) throw AuthError.invalidToken();
    const accountId = pathId(req.params.account_id);
    const membership = await dataSource.getRepository(AccountUser).findOneBy({ accountId, userId: access.userId });
    if (!membership) throw AuthError.notInAccount();
    res.locals.member = { accountId, userId: access.userId, role: membership.role } satisfies Member;
    next();
  };
}

/** The member {@link requireMember} authenticated. */
export function memberOf(res: Response): Member {
  return res.locals.member as Member;
}

function tokenOf(req: Request): string | null {
  const header = req.get("api_access_token");
  if (header) return header.trim() || null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get("authorization") ?? "");
  return match ? match[1] : null;
}
