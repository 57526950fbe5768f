import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Router, type Request, type Response } from "express";
import type { WebhooksContext } from "../context";

/** Where the page's HTML template, script modules and stylesheet live. */
const STATIC_CANDIDATES = [
  // Running from the TypeScript sources (ts-node, ts-jest): src/routes/static.
  path.join(__dirname, "static"),
  // Running from the compiled dist/src/routes: the package ships src/routes/static as is.
  path.resolve(__dirname, "../../../src/routes/static"),
];

const TEMPLATE_FILE = "settings.html";
const ASSET_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** Default API base path the page calls when the host does not say otherwise. */
export const DEFAULT_SETTINGS_API_BASE = "/api/v1";

/**
 * The webhook settings page, at Chatwoot's own path: mount under `/app` so the page is
 * `GET /app/accounts/:account_id/settings/integrations/webhook`. Its assets are served by the
 * same router under `/settings-assets/`.
 *
 * The page is static HTML plus vanilla script modules; it talks to the management API only,
 * with the user's access token (kept in the browser's `localStorage`), so the HTML carries no
 * secret and no inline script, and it is served with a strict Content-Security-Policy.
 */
export function createSettingsRouter(ctx: WebhooksContext): Router {
  const staticDir = findStaticDir();
  const template = readFileSync(path.join(staticDir, TEMPLATE_FILE), "utf8");
  const assets = new Set(readdirSync(staticDir).filter((file) => /^[a-z0-9-]+\.(js|css|svg)$/.test(file)));
  const apiBase = normalizeApiBase(ctx.options.settingsApiBase);
  const csp = contentSecurityPolicy();

  const router = Router();

  router.get("/settings-assets/:file", (req: Request, res: Response) => {
    const file = String(req.params.file);
    if (!assets.has(file)) {
      res.status(404).type("text/plain").send("Not found");
      return;
    }
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Content-Type", ASSET_TYPES[path.extname(file)]);
    // Revalidate every time (ETag): a new package version must not be hidden behind a stale cache.
    res.setHeader("Cache-Control", "no-cache");
    res.sendFile(file, { root: staticDir, dotfiles: "deny" });
  });

  router.get("/accounts/:account_id/settings/integrations/webhook", (req: Request, res: Response) => {
    const accountId = String(req.params.account_id);
    if (!/^[1-9][0-9]{0,9}$/.test(accountId)) {
      res.status(404).type("text/plain").send("Not found");
      return;
    }
    const html = render(template, {
      ASSET_BASE: `${req.baseUrl}/settings-assets`,
      API_BASE: apiBase,
      ACCOUNT_ID: accountId,
    });
    res.setHeader("Content-Security-Policy", csp);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cache-Control", "no-store");
    res.type("html").send(html);
  });

  return router;
}

function findStaticDir(): string {
  const found = STATIC_CANDIDATES.find((dir) => existsSync(path.join(dir, TEMPLATE_FILE)));
  if (!found) {
    throw new Error(`createSettingsRouter(): the settings page assets were not found (looked in ${STATIC_CANDIDATES.join(", ")}). Reinstall the package: src/routes/static must ship with it.`);
  }
  return found;
}

/** A same-origin absolute path without a trailing slash; the CSP allows nothing else. */
function normalizeApiBase(value: unknown): string {
  if (value === undefined || value === null) return DEFAULT_SETTINGS_API_BASE;
  // "//host/..." would be another origin; quotes and brackets have no place in a path.
  if (typeof value !== "string" || !value.startsWith("/") || value.startsWith("//") || /[\s"'<>`\\]/.test(value)) {
    throw new TypeError('createWebhooks(): option settingsApiBase must be an absolute path on this server, such as "/api/v1".');
  }
  // "/" (API at the root) becomes "", so "${base}/accounts" stays a path, never "//accounts".
  return value.replace(/\/+$/, "");
}

/** Everything from this origin only: the page's own modules, stylesheet and the JSON API. */
function contentSecurityPolicy(): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

function render(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (whole, key: string) => (key in values ? escapeHtml(values[key]) : whole));
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
