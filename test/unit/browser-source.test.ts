/**
 * Which Chromium the page tests drive: the order the README promises, and the switch CI uses to
 * prove the bundled one works even where Debian's is installed.
 */
import { existsSync } from "node:fs";
import { arch, platform } from "node:os";
import { browserSource } from "../helpers/browser";

const bundledRuns = platform() === "linux" && arch() === "x64";

describe("browserSource", () => {
  it("takes CHROMIUM_PATH first, even with TEST_BROWSER=bundled", () => {
    expect(browserSource({ CHROMIUM_PATH: "/opt/chrome/chrome", TEST_BROWSER: "bundled" })).toEqual({ kind: "env", path: "/opt/chrome/chrome" });
  });

  it("takes Debian's /usr/bin/chromium next, where it is installed", () => {
    const source = browserSource({});
    if (existsSync("/usr/bin/chromium")) expect(source).toEqual({ kind: "system", path: "/usr/bin/chromium" });
    else expect(source).toEqual(bundledRuns ? { kind: "bundled" } : { kind: "none", reason: expect.stringMatching(/only runs on Linux x64/) });
  });

  it("TEST_BROWSER=bundled hides Debian's Chromium: the one npm ci brings, or a reason on another OS", () => {
    const source = browserSource({ TEST_BROWSER: "bundled" });
    expect(source).toEqual(bundledRuns ? { kind: "bundled" } : { kind: "none", reason: expect.stringMatching(/only runs on Linux x64/) });
  });
});
