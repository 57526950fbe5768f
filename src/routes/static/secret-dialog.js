/**
 * Shows a webhook's signing secret with a copy button: once right after the webhook is created,
 * and again whenever someone presses "Show secret". The secret is put into the page only while
 * the dialog is open.
 */
import { createDialog } from "./dialog.js";
import { byId } from "./dom.js";

/** @param {{ toast: (text: string, tone?: string) => void }} deps */
export function createSecretDialog({ toast }) {
  const value = byId("secret-value");
  const dialog = createDialog(byId("secret-dialog"), {
    onClose: () => {
      value.value = "";
    },
  });

  byId("secret-copy").addEventListener("click", async () => {
    if (await copy(value.value)) toast("Secret copied to the clipboard.", "success");
    else {
      value.focus();
      value.select();
      toast("Copying is blocked here: the secret is selected, press Ctrl+C (⌘C) to copy it.", "info");
    }
  });

  /**
   * @param {HTMLElement} opener
   * @param {{ secret: string, url: string }} webhook
   * @param {boolean} justCreated
   */
  function open(opener, webhook, justCreated) {
    byId("secret-dialog-title").textContent = justCreated ? "Webhook created" : "Signing secret";
    byId("secret-dialog-desc").textContent = justCreated
      ? `Events now go to ${webhook.url}. Copy the signing secret below: your endpoint checks the X-Chatwoot-Signature header with it. You can show it again later from the list.`
      : `Your endpoint checks the X-Chatwoot-Signature header of requests to ${webhook.url} with this secret. Keep it private.`;
    value.value = webhook.secret ?? "";
    dialog.open(opener, byId("secret-copy"));
  }

  return { open, close: () => dialog.close() };
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
