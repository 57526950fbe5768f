import type { EntitySubscriberInterface, InsertEvent, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent, UpdateEvent } from "typeorm";
import type { WebhooksContext } from "../context";
import { insertEventFromRow, insertEventsSql } from "../delivery/sql/insert-event";
import { Contact, Conversation, Inbox, Message } from "../entities";
import { tablesOf } from "../tables";
import type { ChangedAttributes, OutboxEventName } from "../types";
import { changedAttributes } from "./changed-attributes";
import { firesConversationUpdated } from "./conversation-updated";
import { applyMessageSideEffects } from "./message-side-effects";
import { runPrepared } from "../prepared";

type Subject = "Message" | "Conversation" | "Contact" | "Inbox";
/** What this subscriber writes rows for: a message's rows are written by its table's triggers. */
type WrittenSubject = Exclude<Subject, "Message">;
const TABLES = { Conversation: "conversations", Contact: "contacts", Inbox: "inboxes" } as const;

interface Recorded {
  event: OutboxEventName;
  subject: WrittenSubject;
  entity: Record<string, any>;
  data: { changed_attributes: ChangedAttributes } | null;
}

/**
 * Records webhook events in the outbox from TypeORM's entity hooks.
 *
 * A conversation, contact or inbox hook writes its rows through `event.queryRunner`, inside the
 * caller's transaction when there is one: no HTTP here, and never the global DataSource (it could
 * deadlock a small pool and would not see the uncommitted row). A message's row is already there:
 * the triggers on `messages` wrote it in the INSERT or UPDATE itself (migration 1796800000000),
 * so its hooks only take note that the transaction recorded something. A committed transaction
 * wakes the dispatcher; a rolled back one takes its rows with it.
 */
export class OutboxSubscriber implements EntitySubscriberInterface {
  /** Query runners with recorded events not yet committed. */
  private readonly dirty = new WeakSet<QueryRunner>();
  /** Per query runner, the tail of its writes: bulk saves run hooks concurrently on one connection. */
  private readonly tails = new WeakMap<QueryRunner, Promise<unknown>>();

  constructor(
    private readonly context: WebhooksContext,
    private readonly wake: () => void,
  ) {}

  afterInsert(event: InsertEvent<any>): Promise<void> | void {
    const subject = subjectOf(event.metadata.target);
    if (!subject) return;
    const entity = event.entity as Record<string, any>;
    // Chatwoot's side effects on the conversation and contact happen after the commit, as its
    // callbacks do: the dispatcher applies them in the transaction that fans the message's
    // `message_created` out (see fan-out.ts). An activity message records no event, and its only
    // side effect (last_activity_at, no event) is applied here, in the saving transaction.
    if (subject === "Message" && entity.messageType === "activity") {
      if (!this.context.options.messageSideEffects || entity.id == null) return;
      return this.record(event.queryRunner, [], () => applyMessageSideEffects(event.queryRunner, entity.id));
    }
    // The row's trigger has already written message_created, in the INSERT itself.
    if (subject === "Message") return this.recorded(event.queryRunner);
    if (subject === "Inbox" && !this.context.options.inboxEvents) return;
    const name = ({ Conversation: "conversation_created", Contact: "contact_created", Inbox: "inbox_created" } as const)[subject];
    return this.record(event.queryRunner, [{ event: name, subject, entity, data: null }]);
  }

  afterUpdate(event: UpdateEvent<any>): Promise<void> | void {
    const subject = subjectOf(event.metadata.target);
    if (!subject || !event.entity || event.updatedColumns.length === 0) return;
    if (subject === "Inbox" && !this.context.options.inboxEvents) return;
    const entity = { ...(event.databaseEntity ?? {}), ...event.entity } as Record<string, any>;
    if (entity.id === undefined || entity.id === null) return;
    const changes = changedAttributes(event.updatedColumns, event.databaseEntity, entity, event.metadata.updateDateColumn);
    if (changes.length === 0) return;
    if (subject === "Message") {
      // The row's trigger has already written message_updated, under the same conditions.
      if (entity.messageType !== "activity") this.recorded(event.queryRunner);
      return;
    }
    const recorded: Recorded[] = [];
    if (subject === "Conversation") {
      // Chatwoot's order for one save: the status events first, then conversation_updated.
      if (changes.some((change) => "status" in change)) {
        // For agent bots (their listener's own events); no account webhook subscribes to these.
        if (entity.status === "open") recorded.push({ event: "conversation_opened", subject, entity, data: null });
        if (entity.status === "resolved") recorded.push({ event: "conversation_resolved", subject, entity, data: null });
        recorded.push({ event: "conversation_status_changed", subject, entity, data: { changed_attributes: changes.filter((change) => "status" in change) } });
      }
      if (firesConversationUpdated(changes)) recorded.push({ event: "conversation_updated", subject, entity, data: { changed_attributes: changes } });
    } else {
      recorded.push({ event: subject === "Contact" ? "contact_updated" : "inbox_updated", subject, entity, data: { changed_attributes: changes } });
    }
    if (recorded.length === 0) return;
    return this.record(event.queryRunner, recorded);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    // Releasing a savepoint also "commits" in TypeORM; only the outermost COMMIT makes rows visible.
    if (event.queryRunner.isTransactionActive) return;
    if (this.dirty.has(event.queryRunner)) {
      this.dirty.delete(event.queryRunner);
      this.wake();
    }
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    // Rolling back to a savepoint keeps what the outer transaction recorded before it.
    if (!event.queryRunner.isTransactionActive) this.dirty.delete(event.queryRunner);
  }

  private record(queryRunner: QueryRunner, events: Recorded[], then?: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(queryRunner) ?? Promise.resolve();
    const write = previous.then(() => (events.length > 0 ? insertEvents(queryRunner, events) : undefined)).then(then);
    // The chain continues after a failure; the failure itself reaches this hook's caller.
    this.tails.set(queryRunner, write.catch(() => undefined));
    return write.then(() => this.recorded(queryRunner));
  }

  /** Events were written through this query runner: wake the dispatcher now, or at its commit. */
  recorded(queryRunner: QueryRunner | undefined): void {
    if (queryRunner?.isTransactionActive) this.dirty.add(queryRunner);
    else this.wake(); // autocommit (repository.insert()/QueryBuilder): already visible
  }
}

/** One statement for the event rows of one hook (a status change records two events). */
async function insertEvents(queryRunner: QueryRunner, events: Recorded[]): Promise<void> {
  const tables = tablesOf(queryRunner.connection);
  const rows: unknown[][] = [];
  for (const item of events) {
    const { entity, subject } = item;
    if (entity.id === undefined || entity.id === null) {
      throw new TypeError(`chatwoot-webhooks: a ${subject} was written but TypeORM did not report its id, so its webhook event cannot be recorded. Do not turn off updateEntity() on inserts of ${subject}.`);
    }
    const data = item.data ? JSON.stringify(item.data) : null;
    const accountId = entity.accountId ?? entity.account?.id;
    const inboxId = subject === "Contact" ? null : subject === "Inbox" ? entity.id : (entity.inboxId ?? entity.inbox?.id);
    if (accountId === undefined || inboxId === undefined) {
      // Saved through relations only: read the ids from the row itself, still one statement.
      await queryRunner.query(insertEventFromRow(tables, TABLES[subject]), [item.event, subject, data, entity.id]);
    } else {
      rows.push([accountId, inboxId, item.event, subject, entity.id, data]);
    }
  }
  if (rows.length > 0) await runPrepared(queryRunner, `chatwoot_webhooks_insert_event_${rows.length}`, insertEventsSql(tables, rows.length), rows.flat());
}

function subjectOf(target: unknown): Subject | null {
  if (target === Message) return "Message";
  if (target === Conversation) return "Conversation";
  if (target === Contact) return "Contact";
  if (target === Inbox) return "Inbox";
  return null;
}
