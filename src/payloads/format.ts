import type { MessageType } from "../entities";

/** ISO-8601 UTC with milliseconds, as Rails serialises times: `2026-03-03T13:05:57.000Z`. */
export function isoTime(date: Date): string {
  return date.toISOString();
}

export function isoTimeOrNull(date: Date | null | undefined): string | null {
  return date ? date.toISOString() : null;
}

/** Whole Unix seconds (Ruby's `Time#to_i`); 0 for no time, as `nil.to_i` gives. */
export function unixSeconds(date: Date | null | undefined): number {
  return date ? Math.floor(date.getTime() / 1000) : 0;
}

/** Unix seconds as a float (Ruby's `Time#to_f`); a `Date` only carries milliseconds. */
export function floatSeconds(date: Date): number {
  return date.getTime() / 1000;
}

/**
 * `content` without trailing line breaks. A loop, not `/[\r\n]+$/`: that regex backtracks
 * quadratically on long runs of newlines, and message content is chosen by customers.
 */
export function stripTrailingNewlines(content: string | null): string | null {
  if (content == null) return content;
  let end = content.length;
  while (end > 0) {
    const code = content.charCodeAt(end - 1);
    if (code !== 10 && code !== 13) break;
    end--;
  }
  return end === content.length ? content : content.slice(0, end);
}

/**
 * Message content as Chatwoot's webhooks carry it (`Messages::WebhookContentNormalizer`): a
 * markdown hard line break (a backslash before a line break, which rich-text editors store) becomes
 * a plain `\n`, and trailing line breaks are dropped.
 */
export function webhookContent(content: string | null): string | null {
  if (content == null) return content;
  return stripTrailingNewlines(content.includes("\\") ? content.replace(/\\\r?\n/g, "\n") : content);
}

/** Chatwoot's integer `message_type` (its enum value), used in the "push" form of a message. */
export const MESSAGE_TYPE_CODES: Readonly<Record<MessageType, number>> = { incoming: 0, outgoing: 1, activity: 2, template: 3 };
