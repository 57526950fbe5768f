/**
 * The "Inbox webhooks and agent bots" section under the account webhooks: the account's
 * API-channel inboxes that have a `webhook_url` and its agent bots that have an `outgoing_url`,
 * each with its newest delivery and a link to its delivery log. Viewing, redelivering and rotating:
 * inboxes and bots are set up through their own API; their secrets can be rotated here. The
 * tokens and secrets the list answers carry are dropped as soon as they arrive, so they never
 * reach the page (a rotated secret is shown once, in the rotation dialog).
 */
import { ApiError, logOwner } from "./api.js";
import { lastDeliverySummary } from "./delivery-log.js";
import { byId, h, replaceChildren, show } from "./dom.js";

const KINDS = {
  inboxes: {
    label: "API inbox",
    noun: "API inbox",
    empty: "Deliveries appear here as soon as a conversation, message or typing event happens in this inbox.",
  },
  agent_bots: {
    label: "Agent bot",
    noun: "agent bot",
    empty: "Deliveries appear here as soon as something happens in an inbox this bot is connected to.",
  },
};

/**
 * @param {{
 *   api: ReturnType<import("./api.js").createApi>,
 *   inboxes: () => Promise<object[] | null>,
 *   rotate: (opener: HTMLElement, target: { owner: string, label: string }) => void,
 * }} deps `inboxes` resolves to the host's inbox list, or null when the host has no inbox route;
 *   `rotate` opens the secret rotation of a listed inbox or bot
 */
export function createTargets({ api, inboxes, rotate }) {
  const state = { targets: [], lastDelivery: new Map(), loading: null };

  /** Fetch the inboxes and bots once (again after `reset()`); resolves once the section is drawn. */
  function load() {
    state.loading ??= fetchTargets();
    return state.loading;
  }

  async function fetchTargets() {
    const [inboxList, bots] = await Promise.all([inboxes(), api.listAgentBots().catch((error) => error)]);
    if (bots instanceof ApiError && bots.status === 401) {
      // The page is asking for a token again; the next one loads the section afresh.
      state.loading = null;
      return;
    }
    // A host that does not mount the bot routes has no bots: nothing to say, as for inboxes.
    const botsFailed = bots instanceof Error && !(bots instanceof ApiError && bots.status === 404);
    const botList = Array.isArray(bots) ? bots : [];
    state.targets = [
      ...(inboxList ?? [])
        .filter((inbox) => inbox.channel_type === "Channel::Api" && hasUrl(inbox.webhook_url))
        .map((inbox) => target("inboxes", inbox.id, inbox.name || `Inbox ${inbox.id}`, inbox.webhook_url)),
      ...botList.filter((bot) => hasUrl(bot.outgoing_url)).map((bot) => target("agent_bots", bot.id, bot.name || `Agent bot ${bot.id}`, bot.outgoing_url)),
    ];
    const status = byId("targets-status");
    if (botsFailed) {
      status.textContent = `Could not load agent bots: ${bots.message}`;
      status.className = "notice notice-error";
    }
    show(status, botsFailed);
    render();
    refreshLastDeliveries();
  }

  function render() {
    const any = state.targets.length > 0;
    show(byId("targets"), any || !byId("targets-status").hidden);
    show(byId("target-list"), any);
    replaceChildren(byId("target-items"), state.targets.map(row));
  }

  function row(item) {
    const kind = KINDS[item.kind];
    return h(
      "li",
      { class: "item target-row", "data-target": `${item.kind}-${item.id}` },
      h("div", { class: "cell cell-main" }, h("span", { class: "webhook-name", text: item.name }), h("span", { class: "webhook-url mono", text: item.url })),
      h("div", { class: "cell cell-kind" }, h("span", { class: "cell-label", text: "Kind" }), h("span", { class: `chip chip-${item.kind}`, text: kind.label })),
      h("div", { class: "cell cell-last" }, h("span", { class: "cell-label", text: "Last delivery" }), lastDeliverySummary(state.lastDelivery.get(item.log.owner))),
      h(
        "div",
        { class: "cell cell-actions" },
        h("a", {
          class: "btn btn-secondary btn-small",
          href: `#/${item.kind}/${encodeURIComponent(item.id)}/deliveries`,
          "data-focus-key": item.log.focusKey,
          "aria-label": `Deliveries of ${kind.noun} ${item.name}`,
          text: "Deliveries",
        }),
        h("button", {
          type: "button",
          class: "btn btn-secondary btn-small",
          "data-focus-key": `rotate-${item.kind}-${item.id}`,
          "aria-label": `Rotate secret of ${kind.noun} ${item.name}`,
          text: "Rotate secret",
          onclick: (event) => rotate(event.currentTarget, { owner: item.log.owner, label: `${item.name} (${kind.noun})` }),
        }),
      ),
    );
  }

  /** The newest delivery of each target, drawn into its row. */
  async function refreshLastDeliveries() {
    await Promise.all(
      state.targets.map(async (item) => {
        try {
          const { deliveries } = await api.listDeliveries(item.log.owner, { page: 1 });
          state.lastDelivery.set(item.log.owner, deliveries[0] ?? null);
        } catch {
          state.lastDelivery.set(item.log.owner, null);
        }
        const cell = document.querySelector(`[data-target="${item.kind}-${item.id}"] .cell-last`);
        if (cell) replaceChildren(cell, h("span", { class: "cell-label", text: "Last delivery" }), lastDeliverySummary(state.lastDelivery.get(item.log.owner)));
      }),
    );
  }

  return {
    load,
    /** Forget what was loaded (a new access token may see another account's view). */
    reset() {
      state.loading = null;
      state.targets = [];
      state.lastDelivery.clear();
    },
    /** The delivery log of a listed inbox or bot, or null. */
    find(kind, id) {
      return state.targets.find((item) => item.kind === kind && item.id === String(id))?.log ?? null;
    },
    refreshLastDeliveries: () => (state.loading ? refreshLastDeliveries() : Promise.resolve()),
  };
}

function hasUrl(value) {
  return typeof value === "string" && value.trim() !== "";
}

/** A listed inbox or bot: what its row shows and the delivery log it opens. */
function target(kind, id, name, url) {
  const { noun, empty } = KINDS[kind];
  return {
    kind,
    id: String(id),
    name,
    url,
    log: { owner: logOwner(kind, id), title: `Delivery log · ${name} (${noun})`, url, empty, focusKey: `deliveries-${kind}-${id}` },
  };
}
