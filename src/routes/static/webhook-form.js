/**
 * The "Add new webhook" / "Edit webhook" dialog: URL, name, inbox, events. Validation is the
 * API's: a 422 `{message, attributes}` is split into sentences shown next to their fields.
 */
import { ApiError } from "./api.js";
import { createDialog } from "./dialog.js";
import { byId, h, replaceChildren, show } from "./dom.js";
import { EVENTS } from "./events.js";

/** Which element shows the errors of each API attribute. */
const FIELDS = {
  url: { input: "webhook-url", error: "webhook-url-error", label: "Url" },
  name: { input: "webhook-name", error: "webhook-name-error", label: "Name" },
  subscriptions: { input: null, error: "webhook-events-error", label: "Subscriptions" },
  inbox_id: { input: "webhook-inbox", error: "webhook-inbox-error", label: "Inbox" },
  inbox: { input: "webhook-inbox", error: "webhook-inbox-error", label: "Inbox" },
  ordered: { input: "webhook-ordered", error: "webhook-ordered-error", label: "Ordered" },
};

/**
 * @param {{ api: ReturnType<import("./api.js").createApi>, onSaved: (webhook: object, created: boolean) => void }} deps
 */
export function createWebhookForm({ api, onSaved }) {
  const form = byId("webhook-form");
  const submit = byId("webhook-submit");
  const dialog = createDialog(byId("webhook-dialog"), { closeOnBackdrop: false, fallbackFocus: () => byId("add-webhook") });
  let editing = null;
  let busy = false;

  replaceChildren(
    byId("event-options"),
    EVENTS.map((event) =>
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", name: "subscriptions", value: event.name }),
        h("span", { class: "check-text" }, h("span", { text: event.label }), h("code", { class: "event-code", "aria-hidden": "true", text: event.name })),
      ),
    ),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
    submit.setAttribute("aria-disabled", "true");
    clearErrors();
    try {
      const fields = collect();
      const saved = editing ? await api.updateWebhook(editing.id, fields) : await api.createWebhook(fields);
      const created = !editing;
      onSaved(saved, created);
      dialog.close();
    } catch (error) {
      showErrors(error);
    } finally {
      busy = false;
      submit.removeAttribute("aria-disabled");
    }
  });

  function collect() {
    const name = byId("webhook-name").value.trim();
    const fields = {
      url: byId("webhook-url").value.trim(),
      name: name === "" ? null : name,
      subscriptions: [...form.querySelectorAll("input[name=subscriptions]:checked")].map((box) => box.value),
      ordered: byId("webhook-ordered").checked,
    };
    if (!byId("inbox-field").hidden) {
      const inbox = byId("webhook-inbox").value;
      fields.inbox_id = inbox === "" ? null : Number(inbox);
    }
    return fields;
  }

  function clearErrors() {
    show(byId("form-error"), false);
    for (const field of Object.values(FIELDS)) {
      show(byId(field.error), false);
      if (field.input) byId(field.input).removeAttribute("aria-invalid");
    }
  }

  function showErrors(error) {
    const body = error instanceof ApiError ? error.body : null;
    const attributes = Array.isArray(body?.attributes) ? body.attributes.filter((name) => FIELDS[name]) : [];
    if (error instanceof ApiError && error.status === 422 && attributes.length > 0 && typeof body.message === "string") {
      const placed = assignSentences(body.message, attributes);
      let first = null;
      for (const [attribute, sentences] of placed) {
        const field = FIELDS[attribute];
        const errorEl = byId(field.error);
        errorEl.textContent = sentences.join(". ");
        show(errorEl, true);
        const input = field.input ? byId(field.input) : form.querySelector("input[name=subscriptions]");
        if (field.input) input.setAttribute("aria-invalid", "true");
        first ??= input;
      }
      first?.focus();
      return;
    }
    if (error instanceof ApiError && error.status === 401) {
      dialog.close();
      return;
    }
    const general = byId("form-error");
    general.textContent = error instanceof Error ? error.message : String(error);
    show(general, true);
  }

  /**
   * Open for a new webhook (no argument) or to edit one.
   * @param {HTMLElement} opener
   * @param {object | null} webhook
   * @param {object[] | null} inboxes null hides the picker
   */
  function open(opener, webhook = null, inboxes = null) {
    editing = webhook;
    form.reset();
    clearErrors();
    byId("webhook-dialog-title").textContent = webhook ? "Edit webhook" : "Add new webhook";
    submit.textContent = webhook ? "Save changes" : "Create webhook";
    byId("webhook-url").value = webhook?.url ?? "";
    byId("webhook-name").value = webhook?.name ?? "";
    byId("webhook-ordered").checked = webhook?.ordered === true;
    const chosen = new Set(webhook ? webhook.subscriptions ?? [] : EVENTS.filter((e) => e.byDefault).map((e) => e.name));
    for (const box of form.querySelectorAll("input[name=subscriptions]")) box.checked = chosen.has(box.value);
    fillInboxes(inboxes, webhook?.inbox?.id ?? webhook?.inbox_id ?? null);
    dialog.open(opener, byId("webhook-url"));
  }

  function fillInboxes(inboxes, selected) {
    const field = byId("inbox-field");
    const select = byId("webhook-inbox");
    if (!Array.isArray(inboxes)) {
      show(field, false);
      return;
    }
    const options = inboxes.map((inbox) => h("option", { value: inbox.id, text: inbox.name ?? `Inbox ${inbox.id}` }));
    // An inbox the picker does not list (deleted, or outside the host's route) stays selectable.
    if (selected !== null && !inboxes.some((inbox) => inbox.id === selected)) {
      options.push(h("option", { value: selected, text: `Inbox ${selected}` }));
    }
    replaceChildren(select, h("option", { value: "", text: "All inboxes" }), options);
    select.value = selected === null ? "" : String(selected);
    show(field, true);
  }

  return { open, close: () => dialog.close(), isOpen: () => dialog.isOpen() };
}

/**
 * Split "Url is invalid, Subscriptions Invalid events" into sentences and hand each to the
 * attribute whose humanized name starts it. A sentence that starts with no attribute name
 * continues the previous one (a message may itself contain ", ").
 * @returns {Map<string, string[]>}
 */
export function assignSentences(message, attributes) {
  const placed = new Map();
  let current = null;
  for (const part of message.split(", ")) {
    const owner = attributes.find((attribute) => part.toLowerCase().startsWith(FIELDS[attribute].label.toLowerCase() + " "));
    if (owner) {
      current = owner;
      if (!placed.has(owner)) placed.set(owner, []);
      placed.get(owner).push(part);
    } else if (current) {
      const list = placed.get(current);
      list[list.length - 1] += `, ${part}`;
    } else {
      current = attributes[0];
      placed.set(current, [part]);
    }
  }
  return placed;
}
