import { BadWakeRequest } from "../../../src/wake/errors.js";
import { originalPath, redirectLocation, requestHost } from "../../../src/wake/redirect.js";

describe("redirect guards", () => {
  it.each([
    "//evil.example/x",
    "/\\evil.example",
    "https://evil.example/",
    "evil",
    "/a\r\nLocation: x",
    "/a b",
    "/a\u0000",
    "/" + "a".repeat(8200),
  ])("rejects the original URL %j with 400", (path) => {
    expect(() => originalPath(path)).toThrow(BadWakeRequest);
    try {
      originalPath(path);
    } catch (e) {
      expect((e as BadWakeRequest).status).toBe(400);
    }
  });

  it.each(["/", "/orders?id=7", "/a%0d%0aSet-Cookie:x", "/p/ä%20x"])("keeps %j", (path) => {
    expect(originalPath(path)).toBe(path);
  });

  it.each(["evil.example/x", "a b", "[::1", "x".repeat(300), "host:99999999"])(
    "rejects the Host %j",
    (host) => {
      expect(() => requestHost(host)).toThrow(BadWakeRequest);
    },
  );

  it("builds an absolute URL only on a host the Ingress names", () => {
    expect(redirectLocation("/x?y=1", "app.example", "https", ["app.example"])).toBe(
      "https://app.example/x?y=1",
    );
    expect(redirectLocation("/x", "a.apps.example:8443", undefined, ["*.apps.example"])).toBe(
      "http://a.apps.example:8443/x",
    );
    expect(() => redirectLocation("/x", "evil.example", "http", ["app.example"])).toThrow(/not served/);
    expect(() => redirectLocation("/x", "a.b.apps.example", "http", ["*.apps.example"])).toThrow(
      /not served/,
    );
  });

  it("answers a relative URL when no Ingress is known, so the client stays on the host it asked for", () => {
    expect(redirectLocation("/x", "whatever.example", "https", undefined)).toBe("/x");
  });
});
