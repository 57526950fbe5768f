/**
 * Modal dialogs on plain elements: `<div class="backdrop" hidden><div role="dialog"
 * aria-modal="true">…</div></div>`. Opening moves focus inside and makes the page behind it
 * inert; Tab and Shift+Tab cycle inside; Escape and `[data-close]` buttons close; focus
 * returns to the element that opened it.
 */

const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type=hidden])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "[tabindex]:not([tabindex='-1'])",
].join(",");

const stack = [];

function focusableIn(root) {
  return [...root.querySelectorAll(FOCUSABLE)].filter((el) => !el.closest("[hidden]") && el.getClientRects().length > 0);
}

function setBackgroundInert(inert) {
  for (const el of document.body.children) {
    if (el.classList.contains("backdrop")) continue;
    if (el.id === "toast") continue; // keep announcements visible to assistive technology
    el.inert = inert;
  }
}

/**
 * The opener, or, when a re-render replaced it, the element now carrying its `data-focus-key`.
 */
function focusBackTarget(opener) {
  if (!opener) return null;
  if (opener.isConnected && !opener.closest("[hidden]")) return opener;
  const key = opener.dataset?.focusKey;
  const twin = key ? document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`) : null;
  return twin && !twin.closest("[hidden]") ? twin : null;
}

/**
 * @param {HTMLElement} backdrop the `.backdrop` element holding the dialog
 * @param {{ onClose?: () => void, closeOnBackdrop?: boolean, fallbackFocus?: () => HTMLElement | null }} [options]
 */
export function createDialog(backdrop, options = {}) {
  const panel = backdrop.querySelector("[role=dialog],[role=alertdialog]");
  let opener = null;
  let pressStartedOnBackdrop = false;

  // Listening on the document, not the dialog: focus may have fallen to <body>.
  function onKeydown(event) {
    if (stack[stack.length - 1] !== api) return;
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close();
      return;
    }
    if (event.key !== "Tab") return;
    const items = focusableIn(panel);
    if (items.length === 0) {
      event.preventDefault();
      return;
    }
    const first = items[0];
    const last = items[items.length - 1];
    const active = document.activeElement;
    if (event.shiftKey && (active === first || !panel.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !panel.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  }

  document.addEventListener("keydown", onKeydown);
  backdrop.addEventListener("mousedown", (event) => {
    pressStartedOnBackdrop = event.target === backdrop;
  });
  backdrop.addEventListener("click", (event) => {
    if (options.closeOnBackdrop !== false && event.target === backdrop && pressStartedOnBackdrop) close();
  });
  for (const button of backdrop.querySelectorAll("[data-close]")) button.addEventListener("click", () => close());

  /** Open the dialog; `focusTarget` (or the first field) gets focus. */
  function open(openedBy, focusTarget) {
    opener = openedBy ?? document.activeElement;
    if (!isOpen()) stack.push(api);
    backdrop.hidden = false;
    setBackgroundInert(true);
    document.body.classList.add("has-dialog");
    const target = focusTarget ?? focusableIn(panel).find((el) => !el.matches("[data-close].icon-btn")) ?? panel;
    if (target === panel) panel.tabIndex = -1;
    target.focus();
  }

  function close() {
    if (!isOpen()) return;
    backdrop.hidden = true;
    stack.splice(stack.indexOf(api), 1);
    if (stack.length === 0) {
      setBackgroundInert(false);
      document.body.classList.remove("has-dialog");
    }
    const back = focusBackTarget(opener) ?? options.fallbackFocus?.();
    opener = null;
    back?.focus();
    options.onClose?.();
  }

  function isOpen() {
    return stack.includes(api);
  }

  const api = { open, close, isOpen, panel };
  return api;
}
