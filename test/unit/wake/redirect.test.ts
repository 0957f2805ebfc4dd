import { BadWakeRequest } from "../../../src/wake/errors.js";
import {
  forwardedScheme,
  originalPath,
  redirectHost,
  redirectLocation,
  redirectScheme,
  requestHost,
} from "../../../src/wake/redirect.js";

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

  it("picks the Host when the Ingress names it, else X-Forwarded-Host when the Ingress names that, else 400", () => {
    expect(redirectHost("app.example", undefined, ["app.example"])).toBe("app.example");
    expect(redirectHost("a.apps.example:8443", undefined, ["*.apps.example"])).toBe("a.apps.example:8443");
    expect(redirectHost("kubenap.svc", "app.example", ["app.example"])).toBe("app.example");
    expect(redirectHost("app.example", "other.example", ["app.example"])).toBe("app.example");
    expect(() => redirectHost("evil.example", undefined, ["app.example"])).toThrow(/not served/);
    expect(() => redirectHost("kubenap.svc", "evil.example", ["app.example"])).toThrow(/not served/);
    expect(() => redirectHost("a.b.apps.example", undefined, ["*.apps.example"])).toThrow(/not served/);
    expect(redirectHost("whatever.example", "x.example", undefined)).toBeUndefined();
  });

  it.each<[string, string | undefined, string]>([
    ["/x?y=1", "app.example", "https://app.example/x?y=1"],
    ["/x", "app.example:443", "https://app.example/x"],
    ["/x", "app.example:80", "https://app.example/x"],
    ["/x", "app.example:8443", "https://app.example:8443/x"],
    ["/p/\u00c3\u00a4", "app.example", "https://app.example/p/%C3%A4"],
    ["/p/%C3%A4", "app.example", "https://app.example/p/%C3%A4"],
    ["/a/../b", "app.example", "https://app.example/a/../b"],
    ["/x", undefined, "/x"],
    ["/p/\u00c3\u00a4", undefined, "/p/%C3%A4"],
  ])("redirects %j on host %j to %j, bytes kept", (path, host, want) => {
    expect(redirectLocation(JSON.parse(`"${path}"`) as string, host, "https")).toBe(want);
  });

  it.each<[Parameters<typeof forwardedScheme>[0], string | undefined]>([
    [{ forwardedProto: "https" }, "https"],
    [{ forwardedProto: "HTTPS" }, "https"],
    [{ forwardedProto: "https, http" }, "https"],
    [{ forwardedProto: " http ,https" }, "http"],
    [{ forwarded: "for=1.2.3.4;proto=https;host=app.example" }, "https"],
    [{ forwarded: 'proto="HTTPS", proto=http' }, "https"],
    [{ forwarded: "for=1.2.3.4, proto=https" }, undefined],
    [{ scheme: "https" }, "https"],
    [{ forwardedProto: "gopher", scheme: "https" }, "https"],
    [{}, undefined],
  ])("reads the scheme from %j → %j", (headers, want) => {
    expect(forwardedScheme(headers)).toBe(want);
  });

  it("uses https when no header says and the host is in the Ingress's TLS hosts, else the fallback", () => {
    expect(redirectScheme(undefined, "app.example", ["app.example"], "http")).toBe("https");
    expect(redirectScheme(undefined, "a.apps.example:443", ["*.apps.example"], "http")).toBe("https");
    expect(redirectScheme(undefined, "app.example", [], "http")).toBe("http");
    expect(redirectScheme(undefined, "app.example", undefined, "https")).toBe("https");
    expect(redirectScheme("http", "app.example", ["app.example"], "https")).toBe("http");
  });

  it("accepts IPv6 literals and trailing dots as hosts", () => {
    expect(requestHost("[::1]:8080")).toBe("[::1]:8080");
    expect(requestHost("App.Example.")).toBe("app.example.");
  });
});
