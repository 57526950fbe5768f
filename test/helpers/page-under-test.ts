import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Express } from "express";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { browserLaunch, CHROMIUM_ARGS, type BrowserSource } from "./browser";

/** A host app listening on 127.0.0.1, port 0. */
export interface ServedApp {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

export async function serveApp(app: Express): Promise<ServedApp> {
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  return {
    server,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One headless Chromium page at desktop size, and the errors the page threw. */
export interface PageUnderTest {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors of the page's scripts. */
  pageErrors: string[];
  close(): Promise<void>;
}

/** A fresh profile (removed on close), 1280 × 800, `timeoutMs` for every wait. */
export async function openPage(browser: Exclude<BrowserSource, { kind: "none" }>, label: string, timeoutMs = 5000): Promise<PageUnderTest> {
  const profileDir = mkdtempSync(path.join(tmpdir(), `${label}-chromium-`));
  const context = await chromium.launchPersistentContext(profileDir, { ...browserLaunch(browser), headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 800 } });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(timeoutMs);
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  return {
    context,
    page,
    pageErrors,
    async close() {
      await context.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}
