import type { AttachmentRow } from "./rows";

/**
 * Chatwoot's `Attachment#push_event_data`: the same four base keys for every kind, then what the
 * kind carries. Files (image, audio, video, file, share, story_mention, ig_reel) take `data_url`
 * from `dataUrl` (else `externalUrl`, as Chatwoot does for Instagram media) and `thumb_url` from
 * `thumbUrl`, `""` when unset as Chatwoot sends for a missing file; an unknown size is 0.
 * `content_type` is the file's MIME type, right after `extension` as in Chatwoot's file metadata
 * (`app/models/attachment.rb`), `null` when the row does not know it.
 */
export function attachmentPushData(attachment: AttachmentRow) {
  const base = { id: attachment.id, message_id: attachment.messageId, file_type: attachment.fileType, account_id: attachment.accountId };
  switch (attachment.fileType) {
    case "location":
      return {
        ...base,
        coordinates_lat: attachment.coordinatesLat ?? 0,
        coordinates_long: attachment.coordinatesLong ?? 0,
        fallback_title: attachment.fallbackTitle,
        data_url: attachment.externalUrl,
      };
    case "fallback":
      return { ...base, fallback_title: attachment.fallbackTitle, data_url: attachment.externalUrl };
    case "contact":
      return { ...base, fallback_title: attachment.fallbackTitle, meta: {} };
    case "audio":
      return { ...base, ...fileMetadata(attachment), transcribed_text: "" };
    default:
      return { ...base, ...fileMetadata(attachment) };
  }
}

function fileMetadata(attachment: AttachmentRow) {
  return {
    extension: attachment.extension,
    content_type: attachment.contentType ?? null,
    data_url: attachment.dataUrl ?? attachment.externalUrl ?? "",
    thumb_url: attachment.thumbUrl ?? "",
    file_size: attachment.fileSize ?? 0,
    width: attachment.width,
    height: attachment.height,
  };
}
