/**
 * The webhook settings page: entry module. Reads the API base and account from the <body>
 * data attributes the server renders, asks for the access token once, then shows the list
 * (`#/`) or a delivery log: a webhook's (`#/webhooks/:id/deliveries`), an API inbox's
 * (`#/inboxes/:id/deliveries`) or an agent bot's (`#/agent_bots/:id/deliveries`).
 */
import { ApiError, clearToken, createApi, loadToken, logOwner, saveToken } from "./api.js";
import { createDialog } from "./dialog.js";
import { createDeliveryChart } from "./delivery-chart.js";
import { createDeliveryLog, lastDeliverySummary } from "./delivery-log.js";
import { byId, h, replaceChildren, show } from "./dom.js";
import { eventLabel } from "./events.js";
import { createFailingEndpoints } from "./failing-endpoints.js";
import { createSecretDialog } from "./secret-dialog.js";
import { createRotationDialog } from "./secret-rotation.js";
import { createTargets } from "./targets.js";
import { createWebhookForm } from "./webhook-form.js";

const { apiBase, accountId } = document.body.dataset;

const DISABLED_REASONS = {
  gone: "Switched off because the endpoint answered 410 Gone.",
  failing: "Switched off after failing for days without a single success.",
};

const state = {
  webhooks: [],
  /** Last delivery per webhook id (undefined: not loaded yet; null: none). */
  lastDelivery: new Map(),
  /** null: the host has no inbox route, so the picker stays hidden. */
  inboxes: null,
  /** The one request for the inbox list (the picker and the inbox section share it). */
  inboxesLoading: null,
  loaded: false,
};

const api = createApi({ base: apiBase ?? "/api/v1", accountId, onUnauthorized: askForToken });
const toast = createToast(byId("toast"));
const form = createWebhookForm({ api, onSaved: webhookSaved });
const secretDialog = createSecretDialog({ toast });
const rotationDialog = createRotationDialog({
  api,
  toast,
  // "Show secret" shows the new one from now on.
  onRotated: (owner, secret) => {
    const webhook = state.webhooks.find((item) => logOwner("webhooks", item.id) === owner);
    if (webhook) webhook.secret = secret;
  },
});
const deliveryLog = createDeliveryLog({ api, toast });
const deliveryChart = createDeliveryChart({ api });
const failing = createFailingEndpoints({ api });
/** The account webhook whose log is shown (its chart is redrawn on Refresh), or null. */
let chartWebhookId = null;
const targets = createTargets({
  api,
  inboxes: async () => {
    await ensureInboxes();
    return state.inboxes;
  },
  rotate: (opener, target) => rotationDialog.open(opener, target),
});
const deleteDialog = createDialog(byId("delete-dialog"), { fallbackFocus: () => byId("add-webhook") });
let deleting = null;

byId("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = byId("token-input");
  const token = input.value.trim();
  if (!token) {
    fieldError("token-error", "Paste your access token to continue.");
    input.focus();
    return;
  }
  saveToken(token);
  input.value = "";
  show(byId("token-error"), false);
  state.loaded = false;
  state.inboxesLoading = null;
  targets.reset();
  route();
});

byId("change-token").addEventListener("click", () => {
  clearToken();
  askForToken(null);
});

byId("add-webhook").addEventListener("click", async (event) => {
  const opener = event.currentTarget;
  await ensureInboxes();
  form.open(opener, null, state.inboxes);
});

byId("delete-confirm").addEventListener("click", async () => {
  const button = byId("delete-confirm");
  if (!deleting || button.getAttribute("aria-disabled") === "true") return;
  button.setAttribute("aria-disabled", "true");
  show(byId("delete-error"), false);
  try {
    await api.deleteWebhook(deleting.id);
    const gone = deleting;
    state.webhooks = state.webhooks.filter((webhook) => webhook.id !== gone.id);
    renderList();
    deleteDialog.close();
    toast(`Deleted the webhook for ${gone.url}.`, "success");
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) fieldError("delete-error", error.message);
  } finally {
    button.removeAttribute("aria-disabled");
  }
});

byId("log-refresh").addEventListener("click", () => {
  if (chartWebhookId !== null) deliveryChart.open(chartWebhookId);
});

window.addEventListener("hashchange", () => route());
route();

/** Show what the URL hash asks for, once a token is known. */
async function route() {
  if (!loadToken()) {
    askForToken(null);
    return;
  }
  show(byId("token-view"), false);
  show(byId("change-token"), true);
  if (!state.loaded) {
    const ok = await loadWebhooks();
    if (!ok) return;
  }
  const match = /^#\/(webhooks|inboxes|agent_bots)\/(\d+)\/deliveries$/.exec(location.hash);
  const log = match ? await findLog(match[1], match[2]) : null;
  if (log) {
    show(byId("list-view"), false);
    show(byId("log-view"), true);
    byId("log-title").tabIndex = -1;
    byId("log-title").focus();
    chartWebhookId = log.webhookId ?? null;
    deliveryChart.open(chartWebhookId);
    await deliveryLog.open(log);
    return;
  }
  if (match) history.replaceState(null, "", "#/");
  const comingBack = !byId("log-view").hidden;
  chartWebhookId = null;
  deliveryChart.hide();
  show(byId("log-view"), false);
  show(byId("list-view"), true);
  if (comingBack) {
    refreshLastDeliveries();
    targets.refreshLastDeliveries();
    failing.refresh();
    const key = deliveryLog.focusKey;
    if (key) document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
  }
}

/** The delivery log a `#/<kind>/<id>/deliveries` hash names, when that webhook, inbox or bot is listed. */
async function findLog(kind, id) {
  if (kind === "webhooks") {
    const webhook = state.webhooks.find((item) => String(item.id) === id);
    return webhook ? webhookLog(webhook) : null;
  }
  await targets.load();
  return targets.find(kind, id);
}

function webhookLog(webhook) {
  return {
    owner: logOwner("webhooks", webhook.id),
    title: webhook.name ? `Delivery log · ${webhook.name}` : "Delivery log",
    url: webhook.url,
    empty: "Deliveries appear here as soon as an event this webhook subscribes to happens.",
    focusKey: `deliveries-${webhook.id}`,
    webhookId: webhook.id,
  };
}

/** 401 from any call, or no token yet: ask for one (with the server's sentence, if any). */
function askForToken(message) {
  form.close();
  secretDialog.close();
  rotationDialog.close();
  deleteDialog.close();
  deliveryLog.close();
  state.loaded = false;
  show(byId("list-view"), false);
  show(byId("log-view"), false);
  show(byId("change-token"), false);
  show(byId("token-view"), true);
  if (message) {
    clearToken();
    fieldError("token-error", `${message.replace(/\.$/, "")}. Enter the access token of an administrator of this account.`);
  }
  byId("token-input").focus();
}

async function loadWebhooks() {
  const status = byId("list-status");
  try {
    state.webhooks = await api.listWebhooks();
    state.loaded = true;
    show(status, false);
    renderList();
    refreshLastDeliveries();
    targets.load();
    failing.refresh();
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return false;
    show(byId("list-view"), true);
    status.className = "notice notice-error";
    status.textContent = `Could not load webhooks: ${error.message}`;
    show(status, true);
    return false;
  }
}

/** Load the host's inbox list once; a 401 leaves it to be asked again with the next token. */
function ensureInboxes() {
  state.inboxesLoading ??= api.listInboxes().then(
    (list) => {
      state.inboxes = list;
    },
    () => {
      state.inboxes = null;
      state.inboxesLoading = null;
    },
  );
  return state.inboxesLoading;
}

function webhookSaved(webhook, created) {
  const index = state.webhooks.findIndex((item) => item.id === webhook.id);
  if (index >= 0) state.webhooks[index] = webhook;
  else state.webhooks.push(webhook);
  renderList();
  if (created) {
    refreshLastDeliveries([webhook]);
    // The form dialog closes first; then the secret is shown, and focus returns to "Add".
    queueMicrotask(() => secretDialog.open(byId("add-webhook"), webhook, true));
  } else {
    toast("Webhook saved.", "success");
  }
}

function renderList() {
  const empty = state.webhooks.length === 0;
  show(byId("webhook-empty"), empty);
  show(byId("webhook-list"), !empty);
  replaceChildren(byId("webhook-items"), state.webhooks.map(webhookRow));
}

function displayName(webhook) {
  return webhook.name || webhook.url;
}

function webhookRow(webhook) {
  const name = displayName(webhook);
  const subscriptions = Array.isArray(webhook.subscriptions) ? webhook.subscriptions : [];
  const shown = subscriptions.slice(0, 3);
  const enabled = webhook.enabled !== false;
  const reason = !enabled ? DISABLED_REASONS[webhook.disabled_reason] : null;
  return h(
    "li",
    { class: `item webhook-row${enabled ? "" : " is-off"}`, "data-webhook-id": webhook.id },
    h(
      "div",
      { class: "cell cell-main" },
      h("span", { class: "webhook-name", text: webhook.name || "Unnamed webhook" }),
      h("span", { class: "webhook-url mono", text: webhook.url }),
      webhook.inbox ? h("span", { class: "chip chip-inbox", text: `Inbox: ${webhook.inbox.name}` }) : null,
      webhook.ordered ? h("span", { class: "chip chip-inbox", text: "In order per conversation" }) : null,
      reason ? h("span", { class: "off-reason", text: reason }) : null,
    ),
    h(
      "div",
      { class: "cell cell-events" },
      h("span", { class: "cell-label", text: "Events" }),
      h(
        "span",
        { class: "chips", title: subscriptions.map(eventLabel).join(", ") },
        shown.map((event) => h("span", { class: "chip", text: eventLabel(event) })),
        subscriptions.length > shown.length ? h("span", { class: "chip chip-more", text: `+${subscriptions.length - shown.length} more` }) : null,
      ),
    ),
    h("div", { class: "cell cell-last" }, h("span", { class: "cell-label", text: "Last delivery" }), lastDeliveryCell(webhook.id)),
    h(
      "div",
      { class: "cell cell-switch" },
      h("span", { class: "cell-label", id: `enabled-label-${webhook.id}`, text: "Enabled" }),
      h(
        "button",
        {
          type: "button",
          role: "switch",
          class: "switch",
          "aria-checked": String(enabled),
          "aria-label": `Enabled: ${name}`,
          "data-focus-key": `switch-${webhook.id}`,
          onclick: (event) => toggle(webhook, event.currentTarget),
        },
        h("span", { class: "switch-knob", "aria-hidden": "true" }),
      ),
    ),
    h(
      "div",
      { class: "cell cell-actions" },
      h("a", { class: "btn btn-secondary btn-small", href: `#/webhooks/${webhook.id}/deliveries`, "data-focus-key": `deliveries-${webhook.id}`, "aria-label": `Deliveries of ${name}`, text: "Deliveries" }),
      h("button", {
        type: "button",
        class: "btn btn-secondary btn-small",
        "data-focus-key": `secret-${webhook.id}`,
        "aria-label": `Show secret of ${name}`,
        text: "Show secret",
        onclick: (event) => secretDialog.open(event.currentTarget, webhook, false),
      }),
      h("button", {
        type: "button",
        class: "btn btn-secondary btn-small",
        "data-focus-key": `rotate-${webhook.id}`,
        "aria-label": `Rotate secret of ${name}`,
        text: "Rotate secret",
        onclick: (event) => rotationDialog.open(event.currentTarget, { owner: logOwner("webhooks", webhook.id), label: name }),
      }),
      h("button", {
        type: "button",
        class: "btn btn-secondary btn-small",
        "data-focus-key": `edit-${webhook.id}`,
        "aria-label": `Edit ${name}`,
        text: "Edit",
        onclick: async (event) => {
          const opener = event.currentTarget;
          await ensureInboxes();
          form.open(opener, webhook, state.inboxes);
        },
      }),
      h("button", {
        type: "button",
        class: "btn btn-danger-outline btn-small",
        "data-focus-key": `delete-${webhook.id}`,
        "aria-label": `Delete ${name}`,
        text: "Delete",
        onclick: (event) => confirmDelete(event.currentTarget, webhook),
      }),
    ),
  );
}

function lastDeliveryCell(webhookId) {
  return lastDeliverySummary(state.lastDelivery.get(webhookId));
}

/** The list API has no delivery data: fetch the newest delivery of each webhook. */
async function refreshLastDeliveries(webhooks = state.webhooks) {
  await Promise.all(
    webhooks.map(async (webhook) => {
      try {
        const { deliveries } = await api.listDeliveries(logOwner("webhooks", webhook.id), { page: 1 });
        state.lastDelivery.set(webhook.id, deliveries[0] ?? null);
      } catch {
        state.lastDelivery.set(webhook.id, null);
      }
      const row = document.querySelector(`[data-webhook-id="${webhook.id}"] .cell-last`);
      if (row) replaceChildren(row, h("span", { class: "cell-label", text: "Last delivery" }), lastDeliveryCell(webhook.id));
    }),
  );
}

async function toggle(webhook, button) {
  if (button.getAttribute("aria-disabled") === "true") return;
  const next = button.getAttribute("aria-checked") !== "true";
  const hadFocus = document.activeElement === button;
  button.setAttribute("aria-checked", String(next));
  button.setAttribute("aria-disabled", "true");
  try {
    const saved = await api.updateWebhook(webhook.id, { enabled: next });
    webhookSaved(saved, false);
    toast(next ? `Events are sent to ${saved.url} again.` : `Events to ${saved.url} are paused.`, "success");
  } catch (error) {
    button.setAttribute("aria-checked", String(!next));
    button.removeAttribute("aria-disabled");
    if (!(error instanceof ApiError && error.status === 401)) toast(`Could not switch the webhook: ${error.message}`, "error");
  }
  // The row was re-rendered: keep the keyboard where it was.
  if (hadFocus && !button.isConnected) document.querySelector(`[data-focus-key="switch-${webhook.id}"]`)?.focus();
}

function confirmDelete(opener, webhook) {
  deleting = webhook;
  byId("delete-url").textContent = webhook.url;
  show(byId("delete-error"), false);
  deleteDialog.open(opener, byId("delete-dialog").querySelector(".btn-secondary[data-close]"));
}

function fieldError(id, message) {
  const el = byId(id);
  el.textContent = message;
  show(el, true);
}

/** A polite status line at the bottom of the screen. */
function createToast(el) {
  let timer = null;
  return (text, tone = "info") => {
    el.textContent = text;
    el.className = `toast toast-${tone}`;
    show(el, true);
    clearTimeout(timer);
    timer = setTimeout(() => show(el, false), 5000);
  };
}

