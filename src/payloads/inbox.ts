import type { ChangedAttributes } from "../types";
import { accountWebhookData } from "./account";
import { isoTime } from "./format";
import type { AccountRow, InboxRow } from "./rows";

/** Chatwoot's `Inbox#webhook_data`: the short `{id, name}` inside message bodies. */
export function inboxWebhookData(inbox: InboxRow) {
  return { id: inbox.id, name: inbox.name };
}

/**
 * The body of `inbox_created` / `inbox_updated`. Chatwoot builds these from its inbox event
 * presenter: settings we do not model, at Chatwoot's column defaults (`channel` is its channel
 * record, `{}` here), then the times. That form names no inbox, so ours appends `id`, `name`
 * and `account` after Chatwoot's keys.
 */
export function inboxEventPayload(inbox: InboxRow, account: AccountRow) {
  return {
    allow_messages_after_resolved: true,
    lock_to_single_conversation: false,
    auto_assignment_config: {},
    enable_auto_assignment: true,
    enable_email_collect: true,
    greeting_enabled: false,
    greeting_message: null,
    csat_survey_enabled: false,
    business_name: null,
    sender_name_type: "friendly",
    timezone: "UTC",
    out_of_office_message: null,
    working_hours_enabled: false,
    working_hours: [],
    created_at: isoTime(inbox.createdAt),
    updated_at: isoTime(inbox.updatedAt),
    channel: {},
    id: inbox.id,
    name: inbox.name,
    account: accountWebhookData(account),
  };
}

/** `inbox_created`, or `inbox_updated` with its `changed_attributes` (null when unknown). */
export function inboxEventBody(event: "inbox_created" | "inbox_updated", inbox: InboxRow, account: AccountRow, changedAttributes: ChangedAttributes | null = null) {
  const body = { ...inboxEventPayload(inbox, account), event };
  return event === "inbox_updated" ? { ...body, changed_attributes: changedAttributes } : body;
}
