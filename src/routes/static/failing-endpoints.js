/**
 * "Failing now" above the webhook list: the account's endpoints (webhooks, API inboxes, agent
 * bots) whose last attempts failed or that were switched off for failing, from
 * `GET /webhooks/failing`. Hidden while everything is healthy.
 */
import { ApiError, logOwner } from "./api.js";
import { byId, h, replaceChildren, show, timeElement } from "./dom.js";

const KIND = { account: "Webhook", inbox: "API inbox", agent_bot: "Agent bot" };
const OFF = { gone: "switched off: the endpoint answered 410 Gone", failing: "switched off after failing for days" };

function answer(endpoint) {
  if (endpoint.last_status_code) return `last answer HTTP ${endpoint.last_status_code}`;
  return endpoint.last_error ? `last attempt: ${endpoint.last_error}` : "no answer yet";
}

function item(endpoint) {
  const day = endpoint.last_24_hours ?? { failed: 0, retrying: 0, succeeded: 0 };
  const name = endpoint.name || endpoint.url;
  const log =
    endpoint.kind === "account"
      ? `#${logOwner("webhooks", endpoint.webhook_id)}/deliveries`
      : endpoint.kind === "inbox" && endpoint.inbox_id
        ? `#${logOwner("inboxes", endpoint.inbox_id)}/deliveries`
        : endpoint.kind === "agent_bot" && endpoint.agent_bot_id
          ? `#${logOwner("agent_bots", endpoint.agent_bot_id)}/deliveries`
          : null;
  return h(
    "li",
    { class: "failing-item", "data-failing-webhook-id": endpoint.webhook_id },
    h("span", { class: "failing-name", text: `${KIND[endpoint.kind] ?? "Endpoint"}: ${name}` }),
    h(
      "span",
      { class: "sub" },
      endpoint.disabled_reason && OFF[endpoint.disabled_reason] ? `${OFF[endpoint.disabled_reason]} · ` : "",
      endpoint.failing_since ? h("span", {}, "failing since ", timeElement(endpoint.failing_since), " · ") : null,
      `${answer(endpoint)} · last 24 h: ${day.failed} failed, ${day.retrying} retrying, ${day.succeeded} succeeded`,
    ),
    log ? h("a", { class: "btn btn-secondary btn-small", href: log, "aria-label": `Deliveries of ${name}`, text: "Deliveries" }) : null,
  );
}

/** @param {{ api: ReturnType<import("./api.js").createApi> }} deps */
export function createFailingEndpoints({ api }) {
  const section = byId("failing");
  return {
    async refresh() {
      try {
        const endpoints = await api.failingEndpoints();
        replaceChildren(byId("failing-items"), endpoints.map(item));
        byId("failing-title").textContent = endpoints.length === 1 ? "1 endpoint is failing" : `${endpoints.length} endpoints are failing`;
        show(section, endpoints.length > 0);
      } catch (error) {
        // The list still works without it; a 401 is handled by the page.
        if (!(error instanceof ApiError && error.status === 401)) show(section, false);
      }
    },
  };
}
