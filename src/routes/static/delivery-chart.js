/**
 * A webhook's last 24 hours above its delivery log: one stacked bar per hour (succeeded,
 * retrying, failed, waiting), drawn as plain SVG from `GET /webhooks/:id/delivery_stats`, with
 * the p50 / p95 attempt latency beside it. The SVG is an image with a spoken summary for its
 * accessible name, and every bar has a tooltip (`<title>`) with its hour's numbers.
 */
import { ApiError } from "./api.js";
import { byId, h, replaceChildren, show } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const SERIES = [
  { key: "succeeded", label: "Succeeded" },
  { key: "retrying", label: "Retrying" },
  { key: "failed", label: "Failed" },
  { key: "waiting", label: "Waiting" },
];
// Scaled to the card's width with its aspect kept (text is never stretched): ~190 px tall on a desktop.
const WIDTH = 960;
const HEIGHT = 170;
const PAD = { top: 12, right: 8, bottom: 22, left: 34 };
const hourFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** An SVG element with attributes and children (text goes through textContent, never markup). */
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") el.textContent = String(value);
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) if (child) el.append(child);
  return el;
}

/** "12 succeeded, 3 failed, ..." for the parts that are not zero. */
function summary(totals) {
  const parts = SERIES.filter(({ key }) => totals[key] > 0).map(({ key, label }) => `${totals[key]} ${label.toLowerCase()}`);
  return parts.length === 0 ? "no deliveries" : parts.join(", ");
}

/** The chart itself, from the route's payload. */
export function chartSvg(stats) {
  const totals = Object.fromEntries(SERIES.map(({ key }) => [key, stats.hours.reduce((sum, hour) => sum + (hour[key] ?? 0), 0)]));
  const highest = Math.max(1, ...stats.hours.map((hour) => SERIES.reduce((sum, { key }) => sum + (hour[key] ?? 0), 0)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotW / stats.hours.length;
  const y = (value) => PAD.top + plotH - (value / highest) * plotH;

  const bars = stats.hours.map((hour, index) => {
    const x = PAD.left + index * slot + 1;
    let base = 0;
    const rects = SERIES.map(({ key }) => {
      const value = hour[key] ?? 0;
      if (value === 0) return null;
      const rect = s("rect", { class: `bar bar-${key}`, x: x.toFixed(1), y: y(base + value).toFixed(1), width: Math.max(1, slot - 2).toFixed(1), height: (y(base) - y(base + value)).toFixed(1) });
      base += value;
      return rect;
    });
    const start = new Date(hour.hour);
    const label = `${hourFormat.format(start)}: ${summary(hour)}`;
    // A full-height transparent target, so the tooltip shows over empty hours too.
    return s("g", { class: "bar-hour" }, s("title", { text: label }), s("rect", { class: "bar-target", x: (PAD.left + index * slot).toFixed(1), y: PAD.top, width: slot.toFixed(1), height: plotH }), rects);
  });

  const ticks = stats.hours
    .map((hour, index) => ({ hour, index }))
    .filter(({ index }) => index % 6 === 0)
    .map(({ hour, index }) => s("text", { class: "axis-label", x: (PAD.left + index * slot).toFixed(1), y: HEIGHT - 6, text: hourFormat.format(new Date(hour.hour)) }));

  const name = `Deliveries in the last 24 hours: ${summary(totals)}`;
  return s(
    "svg",
    { class: "chart", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": name },
    s("title", { text: name }),
    s("line", { class: "axis", x1: PAD.left, x2: WIDTH - PAD.right, y1: PAD.top + plotH, y2: PAD.top + plotH }),
    s("line", { class: "grid", x1: PAD.left, x2: WIDTH - PAD.right, y1: PAD.top, y2: PAD.top }),
    s("text", { class: "axis-label", x: PAD.left - 6, y: PAD.top + 4, "text-anchor": "end", text: String(highest) }),
    s("text", { class: "axis-label", x: PAD.left - 6, y: PAD.top + plotH, "text-anchor": "end", text: "0" }),
    bars,
    ticks,
  );
}

/** "p50 120 ms · p95 480 ms", or a sentence when nothing was attempted. */
export function latencyText(latency) {
  if (!latency || latency.p50_ms === null || latency.p50_ms === undefined) return "No attempts in the last 24 hours.";
  const sample = latency.deliveries >= 2000 ? " (newest 2,000 deliveries)" : "";
  return `Attempt latency: p50 ${latency.p50_ms} ms · p95 ${latency.p95_ms} ms over ${latency.attempts} attempt${latency.attempts === 1 ? "" : "s"}${sample}`;
}

/** @param {{ api: ReturnType<import("./api.js").createApi> }} deps */
export function createDeliveryChart({ api }) {
  const section = byId("log-chart");
  let ticket = 0;

  return {
    /** Show the chart of an account webhook; other logs (inboxes, bots) have none. */
    async open(webhookId) {
      const mine = ++ticket;
      if (webhookId === null) {
        show(section, false);
        return;
      }
      show(section, true);
      replaceChildren(byId("chart-figure"), h("p", { class: "muted", text: "Loading…" }));
      byId("chart-latency").textContent = "";
      try {
        const stats = await api.deliveryStats(webhookId);
        if (mine !== ticket) return;
        replaceChildren(byId("chart-figure"), chartSvg(stats));
        byId("chart-latency").textContent = latencyText(stats.latency);
      } catch (error) {
        if (mine !== ticket || (error instanceof ApiError && error.status === 401)) return;
        replaceChildren(byId("chart-figure"), h("p", { class: "notice notice-error", text: `Could not load the chart: ${error.message}` }));
      }
    },
    hide() {
      ticket += 1;
      show(section, false);
    },
  };
}
