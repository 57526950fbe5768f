/** Chatwoot's full error messages for webhook fields (and ours, worded the same way). */
export const MESSAGES = {
  urlInvalid: "Url is invalid",
  urlTaken: "Url has already been taken",
  nameInvalid: "Name is invalid",
  nameTooLong: "Name is too long (maximum is 255 characters)",
  subscriptionsInvalid: "Subscriptions Invalid events",
  inboxInvalid: "Inbox is invalid",
  enabledInvalid: "Enabled is invalid",
  orderedInvalid: "Ordered is invalid",
} as const;

/** The attribute names reported in `attributes`, in the order failures are listed. */
export const WEBHOOK_ATTRIBUTES = ["url", "name", "subscriptions", "inbox_id", "enabled", "ordered"] as const;

export type WebhookAttribute = (typeof WEBHOOK_ATTRIBUTES)[number];
