import { isoTime } from "./format";
import type { ContactInboxRow } from "./rows";

/** A contact-inbox record serialised whole (its columns in table order), as `conversation.contact_inbox`. */
export function contactInboxRecord(contactInbox: ContactInboxRow) {
  return {
    id: contactInbox.id,
    contact_id: contactInbox.contactId,
    inbox_id: contactInbox.inboxId,
    source_id: contactInbox.sourceId,
    created_at: isoTime(contactInbox.createdAt),
    updated_at: isoTime(contactInbox.updatedAt),
    hmac_verified: contactInbox.hmacVerified,
    pubsub_token: contactInbox.pubsubToken,
  };
}
