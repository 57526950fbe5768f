import { Router, type Request, type Response } from "express";
import type { WebhooksContext } from "../context";
import type { RecoveryOwnerKind } from "../entities/webhook-recovery";
import { NotFoundError } from "../errors";
import { parseId } from "../ids";
import { findRecovery, startRecovery, type Recovery, type RecoveryOwner } from "../recovery/recovery-store";
import { callerOf } from "./auth";
import { targetIdsOf, type LogOwner } from "./delivery-queries";
import { parseRecoveryRange } from "./recovery-input";

const OWNER_KIND: Record<LogOwner["kind"], RecoveryOwnerKind> = { webhook: "webhook", inbox: "inbox", agent_bot: "agent_bot" };

/**
 * Bulk recovery under a path that names its owner, beside its delivery log (`/:<param>/…`):
 * - `POST /:<param>/recover` `{since, until?}`: every `failed` delivery of the owner created in
 *   the range made due again, in batches; 202 with the recovery (and `Location` to poll). While one
 *   runs, a call answers that one (`meta.created: false`) and starts nothing.
 * - `GET /:<param>/recover`: the newest recovery (null when none);
 * - `GET /:<param>/recoveries/:recovery_id`: one by id.
 * An owner of another account is a 404, decided before anything is read or changed.
 */
export function recoveryRoutes(ctx: WebhooksContext, param: string, kind: LogOwner["kind"]): Router {
  const { dataSource, clock } = ctx.options;
  const router = Router({ mergeParams: true });

  async function ownerOf(req: Request, res: Response): Promise<RecoveryOwner> {
    const { accountId } = callerOf(res);
    const id = parseId(req.params[param]);
    const webhookIds = id === null ? [] : await targetIdsOf(dataSource, accountId, { kind, id });
    if (id === null || webhookIds.length === 0) throw new NotFoundError();
    return { accountId, kind: OWNER_KIND[kind], id, webhookIds };
  }

  /** Where a recovery is polled: beside the route that answered, whatever prefix the host mounted. */
  const urlOf = (req: Request, recovery: Recovery) => `${req.baseUrl}/${recovery.ownerId}/recoveries/${recovery.id}`;

  /** A running recovery nobody runs (its process stopped) is picked up by whoever looks at it. */
  const answer = (req: Request, res: Response, recovery: Recovery | null) => {
    if (recovery?.state === "running") ctx.recoveries?.kick();
    return recovery === null ? null : recoveryJson(recovery, urlOf(req, recovery));
  };

  router.post(`/:${param}/recover`, async (req, res) => {
    const owner = await ownerOf(req, res);
    const now = clock();
    const range = parseRecoveryRange(req.body, now);
    const { recovery, created } = await startRecovery(dataSource, owner, range, callerOf(res).principal.userId, now);
    const json = answer(req, res, recovery);
    res.status(202).location(urlOf(req, recovery)).json({ payload: { recovery: json }, meta: { created } });
  });

  router.get(`/:${param}/recover`, async (req, res) => {
    const owner = await ownerOf(req, res);
    res.json({ payload: { recovery: answer(req, res, await findRecovery(dataSource, owner, null)) } });
  });

  router.get(`/:${param}/recoveries/:recovery_id`, async (req, res) => {
    const owner = await ownerOf(req, res);
    const id = parseId(req.params.recovery_id);
    const recovery = id === null ? null : await findRecovery(dataSource, owner, id);
    if (!recovery) throw new NotFoundError();
    res.json({ payload: { recovery: answer(req, res, recovery) } });
  });

  return router;
}

/** A recovery as the API answers it; `done` of `total` is its progress. */
export function recoveryJson(recovery: Recovery, url: string) {
  return {
    id: recovery.id,
    owner_type: recovery.ownerKind,
    owner_id: recovery.ownerId,
    since: recovery.since.toISOString(),
    until: recovery.until.toISOString(),
    state: recovery.state,
    total: recovery.total,
    done: recovery.done,
    batches: recovery.batches,
    created_at: recovery.createdAt.toISOString(),
    updated_at: recovery.updatedAt?.toISOString() ?? null,
    finished_at: recovery.finishedAt?.toISOString() ?? null,
    url,
  };
}
