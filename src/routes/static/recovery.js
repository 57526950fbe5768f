/**
 * "Retry failed deliveries" above a delivery log: a time range (at most 14 days back), a button
 * that starts a bulk recovery of the owner's failed deliveries in it, and its progress, polled
 * until it finishes. The section is built here and placed before the log's status line, so the
 * page's HTML does not change.
 */
import { ApiError } from "./api.js";
import { byId, h, show } from "./dom.js";

const POLL_MS = 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const count = (n) => Number(n).toLocaleString("en-US");

/** A `datetime-local` value (local time, minutes) for a date. */
function localValue(date) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return shifted.toISOString().slice(0, 16);
}

/**
 * @param {{ api: ReturnType<import("./api.js").createApi>, toast: (text: string, tone?: string) => void, onFinished: () => void }} deps
 */
export function createRecoveryPanel({ api, toast, onFinished }) {
  const since = h("input", { type: "datetime-local", id: "recovery-since", required: true, "aria-describedby": "recovery-help" });
  const until = h("input", { type: "datetime-local", id: "recovery-until", "aria-describedby": "recovery-help" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", text: "Retry failed deliveries" });
  const error = h("p", { class: "notice notice-error", role: "alert", hidden: true });
  const bar = h("progress", { max: "1", value: "0", "aria-label": "Recovery progress" });
  const status = h("p", { class: "muted", role: "status" });
  const progress = h("div", { class: "stack", hidden: true }, bar, status);
  const form = h(
    "form",
    { class: "stack", novalidate: true, onsubmit: (event) => start(event) },
    h("div", { class: "field" }, h("label", { for: "recovery-since", text: "From" }), since),
    h("div", { class: "field" }, h("label", { for: "recovery-until", text: "To" }), until),
    h("p", { id: "recovery-help", class: "help", text: "Every delivery that failed for good and was created in this range is sent again, with the same delivery id and body. At most 14 days back; To empty means now." }),
    h("div", {}, submit),
  );
  const section = h(
    "section",
    { id: "log-recovery", class: "card", "aria-labelledby": "recovery-title", hidden: true },
    h("h2", { id: "recovery-title", class: "section-title", text: "Retry failed deliveries" }),
    form,
    error,
    progress,
  );
  const anchor = byId("log-status");
  anchor.parentNode.insertBefore(section, anchor);

  /** `owner`: the log shown; `timer`: the next poll; `ticket`: drops answers about a log no longer shown. */
  const state = { owner: null, timer: null, ticket: 0 };
  /** True while a running recovery is followed: its end reloads the log. */
  let watching = false;

  function render(recovery) {
    show(progress, recovery !== null);
    if (recovery === null) return;
    const total = Math.max(recovery.total, recovery.done);
    bar.max = Math.max(total, 1);
    bar.value = recovery.state === "finished" ? bar.max : recovery.done;
    const range = `created ${new Date(recovery.since).toLocaleString()} – ${new Date(recovery.until).toLocaleString()}`;
    status.textContent =
      recovery.state === "running"
        ? `Scheduling ${count(recovery.done)} of ${count(total)} failed deliveries again (${range})…`
        : `Done: ${count(recovery.done)} failed ${recovery.done === 1 ? "delivery" : "deliveries"} scheduled again (${range}).`;
    submit.disabled = recovery.state === "running";
  }

  async function poll(ticket) {
    state.timer = null;
    try {
      const recovery = await api.recovery(state.owner);
      if (ticket !== state.ticket) return;
      render(recovery);
      if (recovery?.state === "running") {
        watching = true;
        state.timer = setTimeout(() => poll(ticket), POLL_MS);
      } else if (watching) {
        watching = false;
        onFinished();
      }
    } catch (failure) {
      if (ticket === state.ticket) showError(failure);
    }
  }
  function showError(failure) {
    error.textContent = failure instanceof ApiError ? failure.message : "Something went wrong. Try again.";
    show(error, true);
  }

  async function start(event) {
    event.preventDefault();
    show(error, false);
    if (!since.value) {
      error.textContent = "Choose when the range starts.";
      show(error, true);
      since.focus();
      return;
    }
    const range = { since: new Date(since.value).toISOString() };
    if (until.value) range.until = new Date(until.value).toISOString();
    submit.disabled = true;
    const ticket = state.ticket;
    try {
      const { recovery, created } = await api.recover(state.owner, range);
      if (ticket !== state.ticket) return;
      toast(created ? `Retrying ${count(recovery.total)} failed deliveries.` : "A retry of failed deliveries is already running: showing its progress.");
      watching = true;
      render(recovery);
      if (recovery.state === "running") state.timer = setTimeout(() => poll(ticket), POLL_MS);
      else poll(ticket);
    } catch (failure) {
      submit.disabled = false;
      showError(failure);
    }
  }

  return {
    /** Show the panel for the log of `owner` (a path from `logOwner()`), with its newest recovery. */
    open(owner) {
      if (state.owner !== owner) {
        since.value = localValue(new Date(Date.now() - DAY_MS));
        until.value = "";
        show(error, false);
        show(progress, false);
        submit.disabled = false;
      }
      this.close();
      state.owner = owner;
      show(section, true);
      poll(++state.ticket);
    },
    close() {
      state.ticket += 1;
      if (state.timer) clearTimeout(state.timer);
      state.timer = null;
      watching = false;
      show(section, false);
    },
  };
}
