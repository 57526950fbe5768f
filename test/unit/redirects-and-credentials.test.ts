/**
 * The pure parts of following redirects and of URL credentials (issue 16, items 5 and 6): where a
 * hop leads, which hops count as the webhook's origin, how `user:pass@` becomes Basic auth
 * (Chatwoot's lib/safe_fetch/request_options.rb decodes both parts), and the maxRedirects option.
 * The delivered bytes are tested in test/integration/redirects.test.ts and url-credentials.test.ts.
 */
import { isFollowedRedirect, nextHop, sameOrigin, unfollowedRedirect } from "../../src/delivery/redirect";
import { resolveOptions } from "../../src/options";
import { splitCredentials, withoutAuthorization, withoutCredentials } from "../../src/security/url-credentials";

describe("redirect hops", () => {
  it("follows 301, 302, 303, 307 and 308 with a Location, nothing else", () => {
    for (const status of [301, 302, 303, 307, 308]) expect(isFollowedRedirect(status, "/x")).toBe(true);
    for (const status of [300, 304, 305, 200, 404]) expect(isFollowedRedirect(status, "/x")).toBe(false);
    expect(isFollowedRedirect(302, undefined)).toBe(false);
    expect(isFollowedRedirect(302, "")).toBe(false);
  });

  it("resolves relative Locations, drops the fragment and any credentials a Location names", () => {
    expect(nextHop("https://a.test/hooks/1?q=1", "/moved", 301)).toEqual({ ok: true, url: "https://a.test/moved" });
    expect(nextHop("https://a.test/hooks/1", "2", 301)).toEqual({ ok: true, url: "https://a.test/hooks/2" });
    expect(nextHop("https://a.test/x", "//b.test/y#frag", 307)).toEqual({ ok: true, url: "https://b.test/y" });
    expect(nextHop("https://a.test/x", "https://evil:creds@b.test/y", 307)).toEqual({ ok: true, url: "https://b.test/y" });
  });

  it("refuses schemes other than http and https, and says so without credentials", () => {
    expect(nextHop("https://a.test/x", "ftp://u:p@b.test/file", 302)).toEqual({ ok: false, error: "HTTP 302: redirect to ftp: is not followed (Location: ftp://b.test/file)" });
    expect(nextHop("https://a.test/x", "javascript:alert(1)", 302)).toMatchObject({ ok: false });
  });

  it("compares origins by scheme, host and port, default ports included", () => {
    expect(sameOrigin("https://a.test/x", "https://a.test:443/y")).toBe(true);
    expect(sameOrigin("http://127.0.0.1:8080/x", "http://127.0.0.1:8081/x")).toBe(false);
    expect(sameOrigin("http://a.test/x", "https://a.test/x")).toBe(false);
    expect(sameOrigin("https://a.test/x", "https://b.a.test/x")).toBe(false);
  });

  it("explains an unfollowed redirect by the limit", () => {
    expect(unfollowedRedirect(301, "https://u:p@b.test/y", 0)).toBe("HTTP 301: redirects are not followed (Location: https://b.test/y); update the webhook URL or raise the maxRedirects option");
    expect(unfollowedRedirect(307, "/again", 10)).toBe("HTTP 307: more than 10 redirects (Location: /again)");
  });
});

describe("URL credentials", () => {
  it("turns percent-encoded user and password into Basic auth and takes them out of the URL", () => {
    const { url, authorization } = splitCredentials("https://n8n:p%40ss%3Aw%2Frd@hooks.test/webhook/1?x=1");
    expect(url).toBe("https://hooks.test/webhook/1?x=1");
    expect(Buffer.from(String(authorization).replace(/^Basic /, ""), "base64").toString()).toBe("n8n:p@ss:w/rd");
    expect(splitCredentials("https://only-user@hooks.test/").authorization).toBe(`Basic ${Buffer.from("only-user:").toString("base64")}`);
  });

  it("sends nothing without a user (as Chatwoot), and leaves other URLs alone", () => {
    expect(splitCredentials("https://:secret@hooks.test/")).toEqual({ url: "https://hooks.test/", authorization: null });
    expect(splitCredentials("https://hooks.test/a")).toEqual({ url: "https://hooks.test/a", authorization: null });
    expect(splitCredentials("not a url")).toEqual({ url: "not a url", authorization: null });
    expect(withoutCredentials("http://u:p@127.0.0.1:9/x")).toBe("http://127.0.0.1:9/x");
  });

  it("redacts the Basic token from text a receiver sent back", () => {
    const { authorization } = splitCredentials("https://u:pw@hooks.test/");
    const token = String(authorization).slice(6);
    expect(withoutAuthorization(`{"authorization":"Basic ${token}"}`, authorization)).toBe(`{"authorization":"Basic [redacted]"}`);
    expect(withoutAuthorization("nothing here", authorization)).toBe("nothing here");
    expect(withoutAuthorization(`Basic ${token}`, null)).toBe(`Basic ${token}`);
  });
});

describe("the maxRedirects option", () => {
  const dataSource = {} as never;
  it("defaults to Chatwoot's 10, takes 0, refuses what is not a whole number of redirects", () => {
    expect(resolveOptions({ dataSource }, {}).maxRedirects).toBe(10);
    expect(resolveOptions({ dataSource, maxRedirects: 0 }, {}).maxRedirects).toBe(0);
    for (const bad of [-1, 1.5, Number.NaN, "3" as unknown as number]) {
      expect(() => resolveOptions({ dataSource, maxRedirects: bad }, {})).toThrow(/option maxRedirects must be a whole number of redirects/);
    }
  });
});
