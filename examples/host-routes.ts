import { Router } from "express";
import type { DataSource } from "typeorm";
import type { Logger } from "../src";
import { requireMember } from "./host/auth";
import { parseBody } from "./host/body-parser";
import { createContact } from "./host/contacts";
import { createConversation, showConversation, toggleStatus } from "./host/conversations";
import { createInbox, listInboxes, updateInbox, type AddressPolicy } from "./host/inboxes";
import { hostErrorHandler } from "./host/error-handler";
import { createMessage, listMessages, updateMessage } from "./host/messages";

/**
 * The host application's own API, on Chatwoot's paths (mount under `/api/v1`). Each route saves
 * rows through TypeORM and nothing else: webhooks go out because the library records the change
 * in the same transaction (its triggers for messages, its entity subscriber for the rest), not
 * because a route asks for it.
 *
 * Authentication is per route (not `router.use`), so this router never answers for paths it
 * does not own, such as the library's `/accounts/:account_id/webhooks`.
 */
export function createHostRouter({ dataSource, logger, addressPolicy }: { dataSource: DataSource; logger: Logger; addressPolicy: AddressPolicy }): Router {
  const router = Router();
  const member = requireMember(dataSource);
  // Routes an agent bot may call with its own token (it replies, and hands conversations to people).
  const memberOrBot = requireMember(dataSource, { bots: true });
  const json = parseBody({ files: false });
  const withFiles = parseBody({ files: true });
  const base = "/accounts/:account_id";

  router.post(`${base}/conversations/:conversation_id/messages`, memberOrBot, withFiles, createMessage(dataSource));
  router.get(`${base}/conversations/:conversation_id/messages`, member, listMessages(dataSource));
  router.get(`${base}/conversations/:conversation_id`, member, showConversation(dataSource));
  router.patch(`${base}/messages/:id`, member, json, updateMessage(dataSource));
  router.patch(`${base}/conversations/:conversation_id/messages/:id`, member, json, updateMessage(dataSource));
  router.post(`${base}/conversations/:conversation_id/toggle_status`, memberOrBot, json, toggleStatus(dataSource));
  router.post(`${base}/conversations`, member, json, createConversation(dataSource));
  router.post(`${base}/contacts`, member, json, createContact(dataSource));
  router.get(`${base}/inboxes`, member, listInboxes(dataSource));
  router.post(`${base}/inboxes`, member, json, createInbox(dataSource, addressPolicy));
  router.patch(`${base}/inboxes/:id`, member, json, updateInbox(dataSource, addressPolicy));
  router.use(hostErrorHandler(logger));
  return router;
}
