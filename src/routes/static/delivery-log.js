/**
 * A delivery log (newest first, filter by status, pages) and the detail dialog with the exact
 * body sent, every attempt, and a redeliver button. The same view serves an account webhook, an
 * API inbox and an agent bot: each is described by a `DeliveryLog` naming its API path.
 */
import { ApiError } from "./api.js";
import { createDialog } from "./dialog.js";
import { byId, formatTime, h, replaceChildren, show, timeElement } from "./dom.js";
import { eventLabel } from "./events.js";
import { createRecoveryPanel } from "./recovery.js";

const STATUS_TEXT = { pending: "Pending", succeeded: "Succeeded", failed: "Failed" };

/** A coloured status pill. */
export function statusBadge(status) {
  return h("span", { class: `badge badge-${STATUS_TEXT[status] ? status : "unknown"}`, text: STATUS_TEXT[status] ?? status });
}

/** "200", "Timed out", ... the short outcome of the last attempt. */
export function responseText(item) {
  if (item.last_status_code ?? item.status_code) return `HTTP ${item.last_status_code ?? item.status_code}`;
  const error = item.last_error ?? item.error;
  return error ? String(error) : "—";
}

/** The newest delivery in a list row: badge, response or event, time; or a placeholder. */
export function lastDeliverySummary(last) {
  if (last === undefined) return h("span", { class: "muted last-delivery", text: "…" });
  if (last === null) return h("span", { class: "muted last-delivery", text: "No deliveries yet" });
  return h(
    "span",
    { class: "last-delivery" },
    statusBadge(last.status),
    " ",
    h("span", { class: "sub", text: last.last_status_code ? responseText(last) : eventLabel(last.event) }),
    " ",
    h("span", { class: "sub" }, timeElement(last.last_attempt_at ?? last.created_at)),
  );
}

/**
 * @typedef {object} DeliveryLog
 * @property {string} owner the API path that owns the log, from `logOwner()` (`/webhooks/3`)
 * @property {string} title the heading (`Delivery log · CRM`)
 * @property {string} url where the deliveries go
 * @property {string} empty what the empty log says
 * @property {string} focusKey `data-focus-key` of the link that opened it, focused on the way back
 */

/**
 * @param {{ api: ReturnType<import("./api.js").createApi>, toast: (text: string, tone?: string) => void }} deps
 */
export function createDeliveryLog({ api, toast }) {
  const dialog = createDialog(byId("delivery-dialog"), { fallbackFocus: () => byId("log-title") });
  /** `log`: the DeliveryLog shown, or null. */
  const state = { log: null, page: 1, status: "", perPage: 0, count: 0, detail: null, body: "", loading: 0 };
  const recovery = createRecoveryPanel({ api, toast, onFinished: () => load() });

  byId("log-filter").addEventListener("change", (event) => {
    state.status = event.target.value;
    state.page = 1;
    load();
  });
  byId("log-refresh").addEventListener("click", () => load());
  byId("log-prev").addEventListener("click", () => {
    state.page = Math.max(1, state.page - 1);
    load();
  });
  byId("log-next").addEventListener("click", () => {
    state.page += 1;
    load();
  });
  byId("delivery-redeliver").addEventListener("click", () => redeliver());
  byId("delivery-format").addEventListener("click", (event) => {
    const button = event.currentTarget;
    button.setAttribute("aria-pressed", String(button.getAttribute("aria-pressed") !== "true"));
    showBody();
  });

  /** Show `log`, from its first page when it is not the one shown last. */
  function open(log) {
    const changed = state.log?.owner !== log.owner;
    state.log = log;
    if (changed) {
      state.page = 1;
      state.status = "";
      byId("log-filter").value = "";
      replaceChildren(byId("log-items"));
      show(byId("log-list"), false);
      show(byId("log-empty"), false);
    }
    byId("log-title").textContent = log.title;
    byId("log-url").textContent = log.url;
    byId("log-empty-text").textContent = log.empty;
    recovery.open(log.owner);
    return load();
  }

  async function load() {
    if (!state.log) return;
    const ticket = ++state.loading;
    const status = byId("log-status");
    try {
      const { deliveries, meta } = await api.listDeliveries(state.log.owner, { status: state.status, page: state.page });
      if (ticket !== state.loading) return;
      state.perPage = Number(meta.per_page) || deliveries.length;
      state.count = Number(meta.count) || 0;
      show(status, false);
      render(deliveries);
    } catch (error) {
      if (ticket !== state.loading || (error instanceof ApiError && error.status === 401)) return;
      status.textContent = `Could not load deliveries: ${error.message}`;
      status.className = "notice notice-error";
      show(status, true);
    }
  }

  function render(deliveries) {
    show(byId("log-empty"), deliveries.length === 0);
    show(byId("log-list"), deliveries.length > 0);
    replaceChildren(byId("log-items"), deliveries.map(row));
    const pages = state.perPage > 0 ? Math.max(1, Math.ceil(state.count / state.perPage)) : 1;
    show(byId("log-pager"), pages > 1 || state.page > 1);
    byId("log-page").textContent = `Page ${state.page} of ${pages}`;
    byId("log-prev").disabled = state.page <= 1;
    byId("log-next").disabled = state.page >= pages;
  }

  function row(delivery) {
    const when = delivery.last_attempt_at ?? delivery.created_at;
    const next = delivery.status === "pending" && delivery.next_attempt_at
      ? h("span", { class: "sub" }, "next try ", timeElement(delivery.next_attempt_at))
      : null;
    return h(
      "li",
      { class: "item log-row", "data-delivery-id": delivery.id },
      h("div", { class: "cell" }, h("span", { class: "cell-label", text: "Status" }), statusBadge(delivery.status)),
      h("div", { class: "cell" }, h("span", { class: "cell-label", text: "Event" }), h("span", { class: "event-name", text: eventLabel(delivery.event) })),
      h("div", { class: "cell" }, h("span", { class: "cell-label", text: "Attempts" }), h("span", { class: "attempt-count", text: String(delivery.attempts ?? 0) })),
      h("div", { class: "cell" }, h("span", { class: "cell-label", text: "Response" }), h("span", { class: "response", text: responseText(delivery) }), next),
      h("div", { class: "cell" }, h("span", { class: "cell-label", text: "Time" }), timeElement(when)),
      h(
        "div",
        { class: "cell cell-actions" },
        h("button", {
          type: "button",
          class: "btn btn-secondary btn-small",
          "data-focus-key": `delivery-${delivery.id}`,
          "aria-label": `Details of ${eventLabel(delivery.event)} delivery ${formatTime(delivery.created_at)}`,
          text: "Details",
          onclick: (event) => openDetail(event.currentTarget, delivery.id),
        }),
      ),
    );
  }

  async function openDetail(opener, deliveryId) {
    show(byId("delivery-error"), false);
    try {
      const delivery = await api.getDelivery(state.log.owner, deliveryId);
      renderDetail(delivery);
      dialog.open(opener, byId("delivery-payload"));
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      toast(`Could not open the delivery: ${error.message}`, "error");
    }
  }

  function renderDetail(delivery) {
    state.detail = delivery;
    byId("delivery-dialog-title").textContent = `${eventLabel(delivery.event)} delivery`;
    const facts = [
      ["Delivery ID", h("code", { class: "mono break", text: delivery.id })],
      ["Event", h("code", { class: "mono", text: delivery.event })],
      ["Status", statusBadge(delivery.status)],
      ["Attempts", String(delivery.attempts ?? 0)],
      ["Created", formatTime(delivery.created_at)],
      ["Last response", responseText(delivery)],
    ];
    if (delivery.status === "pending" && delivery.next_attempt_at) facts.push(["Next attempt", formatTime(delivery.next_attempt_at)]);
    replaceChildren(byId("delivery-facts"), facts.map(([term, value]) => h("div", { class: "fact" }, h("dt", { text: term }), h("dd", {}, value))));
    const body = delivery.body ?? "";
    state.body = typeof body === "string" ? body : JSON.stringify(body);
    showBody();
    const attempts = delivery.attempts_log ?? delivery.attempt_log ?? [];
    replaceChildren(
      byId("delivery-attempts"),
      attempts.length === 0 ? h("li", { class: "muted", text: "Not attempted yet." }) : attempts.map(attemptItem),
    );
  }

  /** The exact bytes sent, or the same JSON indented when "Format JSON" is pressed. */
  function showBody() {
    const formatted = byId("delivery-format").getAttribute("aria-pressed") === "true";
    let text = state.body;
    if (formatted) {
      try {
        text = JSON.stringify(JSON.parse(state.body), null, 2);
      } catch {
        // Not JSON (or not built yet): show it as it is.
      }
    }
    byId("delivery-payload").textContent = text || "The body is built when the first attempt is made.";
  }

  function attemptItem(attempt, index) {
    const ok = attempt.status_code >= 200 && attempt.status_code < 300;
    return h(
      "li",
      { class: "attempt" },
      h(
        "div",
        { class: "attempt-head" },
        h("span", { class: `badge ${ok ? "badge-succeeded" : "badge-failed"}`, text: attempt.status_code ? `HTTP ${attempt.status_code}` : "No response" }),
        h("span", { class: "attempt-meta", text: `#${index + 1} · ${attempt.trigger === "manual" ? "redelivery" : "scheduled"} · ${formatTime(attempt.attempted_at)} · ${attempt.duration_ms ?? 0} ms` }),
      ),
      attempt.error ? h("p", { class: "attempt-error", text: attempt.error }) : null,
      attempt.response_body
        ? h("details", { class: "attempt-response" }, h("summary", { text: "Response body" }), h("pre", { class: "code code-small", text: attempt.response_body }))
        : null,
    );
  }

  async function redeliver() {
    const delivery = state.detail;
    if (!delivery) return;
    const button = byId("delivery-redeliver");
    if (button.getAttribute("aria-disabled") === "true") return;
    // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
    button.setAttribute("aria-disabled", "true");
    show(byId("delivery-error"), false);
    try {
      const attempt = await api.redeliver(state.log.owner, delivery.id);
      // The attempt record names the HTTP status `status` (`status_code` accepted too).
      const code = typeof attempt?.status === "number" ? attempt.status : attempt?.status_code ?? null;
      const ok = attempt?.ok ?? (code >= 200 && code < 300);
      const outcome = code ? `the endpoint answered ${code}` : attempt?.error || "no answer";
      toast(ok ? `Redelivered: ${outcome}.` : `Redelivery failed: ${outcome}.`, ok ? "success" : "error");
      renderDetail(await api.getDelivery(state.log.owner, delivery.id));
      await load();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return;
      const box = byId("delivery-error");
      box.textContent = error.message;
      show(box, true);
    } finally {
      button.removeAttribute("aria-disabled");
    }
  }

  return {
    open,
    reload: load,
    close: () => dialog.close(),
    /** The `data-focus-key` of the link that opened the log shown last, or null. */
    get focusKey() {
      return state.log?.focusKey ?? null;
    },
  };
}
