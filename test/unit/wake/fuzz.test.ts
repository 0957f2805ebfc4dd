import fc from "fast-check";
import { hostMatches } from "../../../src/wake/routes.js";
import { send, startHarness, type Answer, type Harness } from "./harness.js";
import { dep, ing, rule, svc } from "./world.js";

// Property-based test of the whole wake app in-process (real HTTP server, fake cluster): generated
// requests (hosts with ports, IPv6 literals, unicode and percent-encoded paths, duplicate and oversized
// headers, every method) never get a 5xx other than 502/503/504 with a reason, never a Location off the
// app's Ingress hosts, never crash the server; paths keep their bytes. Fixed seed, bounded in count
// and time (RUNS batches of BATCH requests).

const SEED = 20261126;
const RUNS = 1000;
const BATCH = 10;
const TIME_LIMIT_MS = 150_000;

/** The fake cluster: app → its Ingress hosts. */
const APP_HOSTS: Record<string, string[]> = {
  "shop/web": ["shop.example", "www.shop.example"],
  "shop/api": ["shop.example", "www.shop.example"],
  "blog/web": ["*.blog.example"],
  "bad/web": ["bad.example"],
  "plain/web": [],
};
const world = [
  dep("shop", "web", { annotations: { "kubenap/replicaCount": "2" } }),
  dep("shop", "api"),
  svc("shop", "web", "web"),
  svc("shop", "web-metrics", "web"),
  svc("shop", "api", "api"),
  ing(
    "shop",
    "shop",
    [
      rule("shop.example", ["Prefix", "/", "web"], ["Prefix", "/api", "api"], ["Exact", "/ä", "api"]),
      rule("www.shop.example", ["Prefix", "/", "web"]),
    ],
    {
      tls: [{ hosts: ["shop.example"] }],
    },
  ),
  dep("blog", "web"),
  svc("blog", "web", "web"),
  ing("blog", "blog", [rule("*.blog.example", ["Prefix", "/", "web"])]),
  dep("bad", "web", {
    annotations: { "kubenap/proxy": "nope", "kubenap/idleAfter": "soon", "kubenap/replicaCount": "1500" },
  }),
  svc("bad", "web", "web"),
  ing("bad", "bad", [rule("bad.example", ["Prefix", "/", "web"])]),
  dep("plain", "web"),
  svc("plain", "web", "web"),
];

/** A header value: printable latin1, i.e. any byte a client can send (UTF-8 arrives as latin1). */
const latin1 = (max: number) =>
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xff })
      .filter((c) => c !== 0x7f)
      .map((c) => String.fromCharCode(c)),
    maxLength: max,
  });
const utf8AsLatin1 = (s: string): string => Buffer.from(s, "utf8").toString("latin1");

const hostArb = fc.oneof(
  fc.constantFrom(
    "shop.example",
    "SHOP.example",
    "shop.example:443",
    "shop.example:80",
    "www.shop.example:8443",
    "a.blog.example",
    "a.b.blog.example",
    "bad.example",
    "evil.example",
    "[::1]",
    "[::1]:8080",
    "127.0.0.1:80",
    "shop.example.",
    "",
  ),
  latin1(40),
);
const pathArb = fc.oneof(
  fc.constantFrom(
    "/",
    "/api/x?y=1",
    "/ä",
    utf8AsLatin1("/p/ä?q=ü#f"),
    "/%C3%A4",
    "//evil.example/x",
    "/\\evil",
    "/a/../b",
    "/a b",
    "https://evil.example/",
  ),
  fc.string({ maxLength: 30 }).map((s) => utf8AsLatin1(`/${s}`)),
  fc.webPath().map((p) => p || "/"),
  fc.integer({ min: 8000, max: 9000 }).map((n) => "/" + "a".repeat(n)),
);
const urlArb = fc.oneof(
  fc.constant("/wake"),
  fc.constant("/wake?scheme=https"),
  fc
    .constantFrom("shop/web", "shop/api", "blog/web", "bad/web", "plain/web", "shop/nope", "x/y")
    .map((k) => `/wake/${k}`),
  fc
    .tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }))
    .map(([a, b]) => `/wake/${encodeURIComponent(a)}/${encodeURIComponent(b)}`),
  fc.constantFrom(
    "/healthz",
    "/readyz",
    "/status/shop/web",
    "/status/x/y",
    "/metrics",
    "/nope",
    "/wake/a/b/c",
  ),
);
const methodArb = fc.constantFrom(
  "GET",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "HEAD",
  "OPTIONS",
  "PROPFIND",
  "FOO",
);
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const requestArb = fc.record({
  method: methodArb,
  url: urlArb,
  host: hostArb,
  path: optional(pathArb),
  namespace: optional(fc.constantFrom("shop", "blog", "bad", "plain", "other")),
  service: optional(fc.constantFrom("web", "api", "web-metrics", "nope")),
  ingress: optional(fc.constantFrom("shop", "blog", "bad", "nope")),
  forwardedHost: optional(hostArb),
  proto: optional(fc.oneof(fc.constantFrom("https", "HTTP", "https, http", "wss"), latin1(10))),
  forwarded: optional(fc.oneof(fc.constant("for=1.2.3.4;proto=https"), latin1(30))),
  accept: optional(fc.constantFrom("text/html", "application/json", "*/*")),
  poll: fc.boolean(),
  cookie: optional(fc.oneof(fc.constant("kubenap_r_000000000000=3"), latin1(40))),
  duplicates: fc.array(
    fc.tuple(
      fc.constantFrom("x-original-uri", "x-forwarded-host", "x-namespace", "x-service-name", "host"),
      latin1(20),
    ),
    { maxLength: 2 },
  ),
  oversized: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
  sleepFirst: optional(fc.constantFrom("shop/web", "shop/api", "blog/web", "bad/web")),
  body: optional(latin1(100)),
});
type Req = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

/** Percent-decodes to bytes; other characters are taken as latin1 bytes. */
function bytesOf(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const m = /^%([0-9a-fA-F]{2})/.exec(s.slice(i, i + 3));
    if (m?.[1]) {
      out.push(parseInt(m[1], 16));
      i += 2;
    } else {
      const c = s.charCodeAt(i);
      if (c <= 0xff) out.push(c);
      else out.push(...Buffer.from(s[i] ?? "", "utf8"));
    }
  }
  return Buffer.from(out);
}

function headersOf(r: Req): [string, string][] {
  const h: [string, string][] = [];
  if (r.host !== "") h.push(["Host", r.host]);
  if (r.path !== undefined) h.push(["X-Original-URI", r.path]);
  if (r.namespace) h.push(["X-Namespace", r.namespace]);
  if (r.service) h.push(["X-Service-Name", r.service]);
  if (r.ingress) h.push(["X-Ingress-Name", r.ingress]);
  if (r.forwardedHost !== undefined) h.push(["X-Forwarded-Host", r.forwardedHost]);
  if (r.proto !== undefined) h.push(["X-Forwarded-Proto", r.proto]);
  if (r.forwarded !== undefined) h.push(["Forwarded", r.forwarded]);
  if (r.accept) h.push(["Accept", r.accept]);
  if (r.poll) h.push(["X-KubeNap-Poll", "1"]);
  if (r.cookie !== undefined) h.push(["Cookie", r.cookie]);
  for (const [k, v] of r.duplicates) h.push([k, v]);
  if (r.oversized) h.push(["X-Big", "b".repeat(20_000)]);
  return h;
}

/** Checks one answer; returns a failure description or undefined. */
function check(r: Req, a: Answer): string | undefined {
  if (a.status >= 500 && ![502, 503, 504].includes(a.status)) return `status ${a.status}`;
  if (a.status >= 500 && r.method !== "HEAD" && a.body.trim() === "") return `${a.status} without a reason`;
  if (a.status >= 500 && r.method !== "HEAD" && !/detail|Waking up|<p>/.test(a.body))
    return `${a.status} without a reason: ${a.body.slice(0, 80)}`;
  const loc = a.headers.location;
  if (loc === undefined) return undefined;
  if (typeof loc !== "string") return "several Location headers";
  if (a.status !== 307) return `Location on a ${a.status}`;
  const app = /^([a-z]+\/[a-z]+) is ready/.exec(a.body)?.[1];
  if (!app && r.method !== "HEAD") return `307 without the app named: ${a.body.slice(0, 80)}`;
  if (loc.startsWith("/")) {
    if (loc.startsWith("//") || loc.includes("\\")) return `relative Location leaves the host: ${loc}`;
  } else {
    let url: URL;
    try {
      url = new URL(loc);
    } catch {
      return `Location is not a URL: ${loc}`;
    }
    if (!["http:", "https:"].includes(url.protocol)) return `Location scheme ${url.protocol}`;
    const hosts = app ? (APP_HOSTS[app] ?? []) : Object.values(APP_HOSTS).flat();
    if (!hosts.some((h) => hostMatches(h, url.host))) return `Location ${loc} is off ${app}'s Ingress hosts`;
  }
  // The path keeps its bytes: what the client asked for is where it is sent back.
  const sentPath = r.path ?? "/";
  const locPath = loc.startsWith("/") ? loc : loc.slice(loc.indexOf("/", loc.indexOf("//") + 2));
  if (!bytesOf(locPath).equals(bytesOf(sentPath)))
    return `path bytes changed: ${JSON.stringify(sentPath)} → ${locPath}`;
  return undefined;
}

describe("the wake app under generated requests (fast-check)", () => {
  let h: Harness | undefined;
  afterAll(async () => {
    await h?.close();
  });

  it(`answers ${RUNS * BATCH} generated requests without a bad 5xx, an off-host Location or a crash`, async () => {
    h = await startHarness(world, {
      limits: { loopGuardMs: 60_000, redirectBackoffMs: 0, holdLimitMs: 1000 },
      maxConnections: 1000,
    });
    const harness = h;
    let requests = 0;
    const statuses: Record<number, number> = {};
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.array(requestArb, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        for (const r of batch) {
          if (r.sleepFirst) {
            const [ns = "", name = ""] = r.sleepFirst.split("/");
            harness.sleep(ns, name);
          }
          let a: Answer;
          try {
            a = await send(harness.port, {
              method: r.method,
              path: r.url,
              headers: headersOf(r),
              keepAlive: false,
              ...(r.body !== undefined && !["GET", "HEAD"].includes(r.method) && { body: r.body }),
            });
          } catch (err) {
            // Only an oversized request may be cut off by the HTTP parser (431 and close).
            if (r.oversized) continue;
            throw new Error(`request failed: ${String(err)} for ${JSON.stringify(r).slice(0, 300)}`);
          }
          requests++;
          statuses[a.status] = (statuses[a.status] ?? 0) + 1;
          const problem = check(r, a);
          if (problem)
            throw new Error(
              `${problem} for ${JSON.stringify({ ...r, oversized: r.oversized }).slice(0, 400)}`,
            );
        }
      }),
      {
        seed: SEED,
        numRuns: RUNS,
        interruptAfterTimeLimit: TIME_LIMIT_MS,
        markInterruptAsFailure: true,
        endOnFailure: true,
      },
    );
    // Still alive and answering.
    expect((await send(harness.port, { path: "/healthz" })).status).toBe(200);
    expect(requests).toBeGreaterThanOrEqual(RUNS * BATCH * 0.95);
    // The world was exercised: wakes, app errors, not-founds and refusals all happened.
    for (const s of [307, 400, 404]) expect([s, statuses[s] ?? 0]).toEqual([s, expect.any(Number)]);
    expect((statuses[307] ?? 0) > 0 && (statuses[404] ?? 0) > 0 && (statuses[400] ?? 0) > 0).toBe(true);
    expect(Date.now() - started).toBeLessThan(TIME_LIMIT_MS + 10_000);
  }, 200_000);
});
