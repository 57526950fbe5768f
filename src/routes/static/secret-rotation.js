/**
 * "Rotate secret" for an account webhook, an API inbox or an agent bot: shows the last rotation
 * (when, by whom, until when the previous secret is still signed with), rotates with a chosen
 * overlap, shows the new secret once, and ends a running overlap ("End overlap now").
 */
import { ApiError } from "./api.js";
import { createDialog } from "./dialog.js";
import { byId, formatTime, replaceChildren, show } from "./dom.js";

/** The API's default overlap, preselected each time the dialog opens. */
const DEFAULT_OVERLAP = 86400;

/** The overlap choices, in seconds. */
export const OVERLAPS = [
  [0, "No overlap (replace at once)"],
  [3600, "1 hour"],
  [86400, "24 hours"],
  [259200, "3 days"],
  [604800, "7 days"],
];

/**
 * @param {{ api: ReturnType<import("./api.js").createApi>, toast: (text: string, tone?: string) => void,
 *   onRotated?: (owner: string, secret: string) => void }} deps
 */
export function createRotationDialog({ api, toast, onRotated }) {
  const secretField = byId("rotate-secret-value");
  let current = null;
  const dialog = createDialog(byId("rotate-dialog"), {
    onClose: () => {
      secretField.value = "";
      current = null;
    },
  });
  const select = byId("rotate-overlap");
  replaceChildren(
    select,
    OVERLAPS.map(([seconds, label]) => {
      const option = document.createElement("option");
      option.value = String(seconds);
      option.textContent = label;
      option.selected = seconds === DEFAULT_OVERLAP;
      return option;
    }),
  );

  byId("rotate-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = byId("rotate-submit");
    if (!current || button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    try {
      const { secret, secret_rotation: rotation } = await api.rotateSecret(current.owner, Number(select.value));
      secretField.value = secret;
      show(byId("rotate-new"), true);
      drawStatus(rotation);
      onRotated?.(current.owner, secret);
      secretField.focus();
      secretField.select();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) showError(error);
    } finally {
      button.removeAttribute("aria-disabled");
    }
  });

  byId("rotate-copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(secretField.value);
      toast("New secret copied to the clipboard.", "success");
    } catch {
      secretField.focus();
      secretField.select();
      toast("Copying is blocked here: the secret is selected, press Ctrl+C (⌘C) to copy it.", "info");
    }
  });

  byId("rotate-end").addEventListener("click", async () => {
    if (!current) return;
    try {
      drawStatus(await api.endOverlap(current.owner));
      toast("The previous secret is no longer signed with.", "success");
      byId("rotate-submit").focus();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) showError(error);
    }
  });

  /**
   * @param {HTMLElement} opener
   * @param {{ owner: string, label: string }} target `owner` from `logOwner()`; `label` names it in the title
   */
  async function open(opener, target) {
    current = target;
    byId("rotate-dialog-title").textContent = `Rotate secret · ${target.label}`;
    show(byId("rotate-new"), false);
    show(byId("rotate-error"), false);
    secretField.value = "";
    select.value = String(DEFAULT_OVERLAP);
    drawStatus(undefined);
    dialog.open(opener, select);
    try {
      drawStatus(await api.secretRotation(target.owner));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) showError(error);
    }
  }

  /** The rotation facts; `undefined` while loading, null when never rotated. */
  function drawStatus(rotation) {
    const status = byId("rotate-status");
    const active = rotation?.overlap_active === true;
    if (rotation === undefined) status.textContent = "Loading…";
    else if (rotation === null) status.textContent = "This secret has never been rotated.";
    else {
      const by = rotation.rotated_by_id === null ? "" : ` by user #${rotation.rotated_by_id}`;
      const end = rotation.overlap_ends_at === null ? "The previous secret was replaced at once (no overlap)." : active ? `The previous secret is still signed with until ${formatTime(rotation.overlap_ends_at)}.` : `The overlap ended ${formatTime(rotation.overlap_ends_at)}.`;
      status.textContent = `Last rotated ${formatTime(rotation.rotated_at)}${by}. ${end}`;
    }
    show(byId("rotate-end"), active);
  }

  function showError(error) {
    const el = byId("rotate-error");
    el.textContent = error.body?.reason ? `${error.message}: ${error.body.reason}` : error.message;
    show(el, true);
  }

  return { open, close: () => dialog.close() };
}
