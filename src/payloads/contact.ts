import type { ChangedAttributes } from "../types";
import { accountWebhookData } from "./account";
import type { AccountRow, ContactRow } from "./rows";

/** A contact as webhook bodies show it: a message sender, the subject of contact events. */
export function contactWebhookData(contact: ContactRow, account: AccountRow) {
  const avatar = contact.avatarUrl ?? "";
  return {
    account: accountWebhookData(account),
    additional_attributes: contact.additionalAttributes ?? {},
    avatar,
    custom_attributes: contact.customAttributes ?? {},
    email: contact.email,
    id: contact.id,
    identifier: contact.identifier,
    name: contact.name,
    phone_number: contact.phoneNumber,
    thumbnail: avatar,
    blocked: contact.blocked,
  };
}

/** Chatwoot's `Contact#push_event_data`: `conversation.meta.sender` and contact senders in `messages[]`. */
export function contactPushData(contact: ContactRow) {
  return {
    additional_attributes: contact.additionalAttributes ?? {},
    custom_attributes: contact.customAttributes ?? {},
    email: contact.email,
    id: contact.id,
    identifier: contact.identifier,
    name: contact.name,
    phone_number: contact.phoneNumber,
    thumbnail: contact.avatarUrl ?? "",
    blocked: contact.blocked,
    type: "contact" as const,
  };
}

/** `contact_created` body, or `contact_updated` with its `changed_attributes` (null when unknown). */
export function contactEventBody(
  event: "contact_created" | "contact_updated",
  contact: ContactRow,
  account: AccountRow,
  changedAttributes: ChangedAttributes | null = null,
) {
  const body = { ...contactWebhookData(contact, account), event };
  return event === "contact_updated" ? { ...body, changed_attributes: changedAttributes } : body;
}
