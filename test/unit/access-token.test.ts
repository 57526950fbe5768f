import { AuthError } from "../../src/errors";
import { readAccessToken } from "../../src/routes/access-token";

/** A request as Node hands it over: lower-cased `headers` (repeats joined) and the raw pairs. */
function nodeRequest(pairs: Array<[string, string]>) {
  const headers: Record<string, string> = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  return { headers, rawHeaders: pairs.flat() };
}

function conflictOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return null;
}

describe("readAccessToken (Rack's reading of api_access_token)", () => {
  it.each(["api_access_token", "Api-Access-Token", "api-access-token", "API_ACCESS_TOKEN", "API-ACCESS-TOKEN", "Api_Access-Token"])("reads the %s spelling", (name) => {
    expect(readAccessToken(nodeRequest([[name, "tok"]]))).toBe("tok");
  });

  it("reads Authorization: Bearer, in any case of the scheme, and ignores other schemes", () => {
    expect(readAccessToken(nodeRequest([["Authorization", "Bearer tok"]]))).toBe("tok");
    expect(readAccessToken(nodeRequest([["authorization", "bearer  tok "]]))).toBe("tok");
    expect(readAccessToken(nodeRequest([["Authorization", "Basic dXNlcjpwYXNz"]]))).toBeNull();
    expect(readAccessToken(nodeRequest([["Authorization", "Bearer"]]))).toBeNull();
  });

  it("does not read look-alike names", () => {
    for (const name of ["api_access_tokens", "x-api-access-token", "api.access.token", "apiaccesstoken", "access_token", "HTTP_API_ACCESS_TOKEN"]) {
      expect([name, readAccessToken(nodeRequest([[name, "tok"]]))]).toEqual([name, null]);
    }
  });

  it("answers null without a token, and treats blank values as absent", () => {
    expect(readAccessToken(nodeRequest([]))).toBeNull();
    expect(readAccessToken(nodeRequest([["api_access_token", ""]]))).toBeNull();
    expect(readAccessToken(nodeRequest([["api_access_token", "   "]]))).toBeNull();
    expect(readAccessToken(nodeRequest([["api_access_token", " "], ["Api-Access-Token", "tok"]]))).toBe("tok");
  });

  it("trims values, and takes the same value sent several ways as one token", () => {
    expect(readAccessToken(nodeRequest([["api_access_token", "  tok\t"]]))).toBe("tok");
    expect(readAccessToken(nodeRequest([["api_access_token", "tok"], ["Api-Access-Token", " tok"], ["Authorization", "Bearer tok"]]))).toBe("tok");
    expect(readAccessToken(nodeRequest([["api_access_token", "tok"], ["api_access_token", "tok"]]))).toBe("tok");
  });

  it("refuses different values with AuthError conflicting_tokens (401 Invalid Access Token)", () => {
    const cases: Array<Array<[string, string]>> = [
      [["api_access_token", "a"], ["Api-Access-Token", "b"]],
      [["api-access-token", "a"], ["API_ACCESS_TOKEN", "b"]],
      [["api_access_token", "a"], ["api_access_token", "b"]],
      [["api_access_token", "a"], ["Authorization", "Bearer b"]],
      [["Authorization", "Bearer a"], ["Authorization", "Bearer b"]],
    ];
    for (const pairs of cases) {
      const error = conflictOf(() => readAccessToken(nodeRequest(pairs)));
      expect(error).toBeInstanceOf(AuthError);
      expect(error).toMatchObject({ status: 401, code: "conflicting_tokens", message: "Invalid Access Token" });
    }
  });

  it("works from `headers` alone when there are no raw headers (a request built by hand)", () => {
    expect(readAccessToken({ headers: { "api-access-token": "tok" } })).toBe("tok");
    expect(readAccessToken({ headers: { api_access_token: "tok", authorization: "Bearer tok" } })).toBe("tok");
    expect(conflictOf(() => readAccessToken({ headers: { api_access_token: "a", "api-access-token": "b" } }))).toBeInstanceOf(AuthError);
    expect(readAccessToken({ headers: {} })).toBeNull();
  });
});
