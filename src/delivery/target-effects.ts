import type { DataSource, EntityManager } from "typeorm";
import { Account, Conversation, Message } from "../entities";
import type { Logger } from "../options";
import type { JudgedAttempt } from "./judge";

/** Shown in the conversation when a failing agent bot hands it to people. */
export const BOT_FAILURE_ACTIVITY = "The agent bot could not be reached, so this conversation was opened for agents.";

const MESSAGE_EVENTS = new Set(["message_created", "message_updated"]);

/**
 * What an attempt to an API inbox or an agent bot causes beyond the delivery log, as Chatwoot does
 * it, through TypeORM so that the changes produce their own webhooks:
 *
 * - **API inbox**, `message_created` / `message_updated`: a failed attempt marks the message
 *   `failed` with the error in `content_attributes.external_error` (Chatwoot never retries, so it
 *   marks at once; the agent sees the failure just as fast here). A later success of its
 *   `message_created` delivery (a retry, or a redelivery) puts it back to `sent` and removes the
 *   error. A message already `failed` is left alone, so a failing `message_updated` cannot loop.
 * - **Agent bot**, `message_created` / `message_updated` failed for good (retries spent, or a
 *   4xx such as 404): a `pending` conversation is opened for people, with an activity message,
 *   unless the account's `settings.keep_pending_on_bot_failure` is true. Other conversations are
 *   left alone.
 */
export function createTargetEffects(dataSource: DataSource, logger: Logger): (attempts: JudgedAttempt[]) => Promise<void> {
  return async (attempts) => {
    for (const attempt of attempts) {
      if (!MESSAGE_EVENTS.has(attempt.event) || attempt.subjectId == null) continue;
      const messageId = attempt.subjectId;
      try {
        if (attempt.kind === "inbox") {
          if (!attempt.ok) await markFailed(dataSource, messageId, attempt.error ?? "delivery failed");
          else if (attempt.event === "message_created") await markSent(dataSource, messageId);
        } else if (attempt.kind === "agent_bot" && !attempt.ok && attempt.trigger === "scheduled" && attempt.deliveryStatus === "failed") {
          await openForPeople(dataSource, messageId);
        }
      } catch (error) {
        logger.error({ err: error, deliveryId: attempt.deliveryId, messageId }, "could not apply the outcome of a delivery to its message or conversation");
      }
    }
  };
}

function lockedMessage(manager: EntityManager, id: number): Promise<Message | null> {
  return manager.findOne(Message, { where: { id }, lock: { mode: "pessimistic_write" } });
}

async function markFailed(dataSource: DataSource, messageId: number, error: string): Promise<void> {
  await dataSource.transaction(async (manager) => {
    const message = await lockedMessage(manager, messageId);
    if (!message || message.status === "failed") return;
    message.status = "failed";
    message.contentAttributes = { ...message.contentAttributes, external_error: error };
    await manager.save(message);
  });
}

async function markSent(dataSource: DataSource, messageId: number): Promise<void> {
  await dataSource.transaction(async (manager) => {
    const message = await lockedMessage(manager, messageId);
    if (!message || message.status !== "failed") return;
    const { external_error: _error, ...rest } = message.contentAttributes ?? {};
    message.status = "sent";
    message.contentAttributes = rest;
    await manager.save(message);
  });
}

async function openForPeople(dataSource: DataSource, messageId: number): Promise<void> {
  await dataSource.transaction(async (manager) => {
    const message = await manager.findOneBy(Message, { id: messageId });
    if (!message) return;
    const conversation = await manager.findOne(Conversation, { where: { id: message.conversationId }, lock: { mode: "pessimistic_write" } });
    if (!conversation || conversation.status !== "pending") return;
    const account = await manager.findOneBy(Account, { id: conversation.accountId });
    if (account?.settings?.keep_pending_on_bot_failure === true) return;
    conversation.status = "open";
    await manager.save(conversation);
    await manager.save(
      manager.create(Message, {
        accountId: conversation.accountId,
        inboxId: conversation.inboxId,
        conversationId: conversation.id,
        messageType: "activity",
        content: BOT_FAILURE_ACTIVITY,
        senderType: null,
        senderId: null,
      }),
    );
  });
}
