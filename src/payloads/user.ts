import type { UserRow } from "./rows";

/** Chatwoot's `User#webhook_data`: a message sender or typing agent in webhook bodies. */
export function userWebhookData(user: UserRow) {
  return { id: user.id, name: user.name, email: user.email, type: "user" as const };
}

/**
 * Chatwoot's `User#push_event_data`: a conversation's assignee and the sender inside
 * `conversation.messages[]`. `availability_status` lives on Chatwoot's account membership, which
 * it cannot see outside a request; we do not model presence, so it is null as there.
 */
export function userPushData(user: UserRow) {
  const avatar = user.avatarUrl ?? "";
  return {
    id: user.id,
    name: user.name,
    available_name: user.displayName != null && user.displayName.trim() !== "" ? user.displayName : user.name,
    avatar_url: avatar,
    type: "user" as const,
    availability_status: null,
    thumbnail: avatar,
  };
}
