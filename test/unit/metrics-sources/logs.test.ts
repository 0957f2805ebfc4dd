import { appendFileSync, mkdtempSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { V1Ingress } from "@kubernetes/client-node";
import { PARSERS } from "../../../src/metrics-sources/logs/formats.js";
import { envoyClusterService, RouteTable } from "../../../src/metrics-sources/logs/routes.js";
import { FileTailer } from "../../../src/metrics-sources/logs/tail.js";
import { LogsSource } from "../../../src/metrics-sources/logs.js";
import { MetricsSourceError } from "../../../src/metrics-sources/types.js";
import { FakeClock } from "../helpers/fake-clock.js";

describe("access log formats", () => {
  it.each([
    [
      "nginx-combined",
      '10.0.0.1 - - [26/Nov/2026:14:00:00 +0000] "GET /cart/items?x=1 HTTP/1.1" 200 12 "-" "curl/8.0"',
      { path: "/cart/items?x=1" },
    ],
    [
      "nginx-combined",
      '10.0.0.1 - - [26/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8.0" 74 0.001 [shop-cart-80] [] 10.0.1.5:8080 12 0.001 200 abc',
      { path: "/", upstream: "shop-cart-80" },
    ],
    [
      "nginx-json",
      '{"time":"2026-11-26T14:00:00+00:00","host":"shop.example","request_uri":"/cart","status":"200"}',
      { host: "shop.example", path: "/cart" },
    ],
    [
      "nginx-json",
      '{"http_host":"shop.example:8080","request":"POST /pay HTTP/1.1"}',
      { host: "shop.example:8080", path: "/pay" },
    ],
    [
      "envoy",
      '[2026-11-26T14:00:00.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 226 100 "10.0.35.28" "nsq2http" "cc21d9b0" "locations.example" "tcp://10.0.2.1:80"',
      { path: "/api/v1/locations", host: "locations.example" },
    ],
    [
      "envoy",
      '[2026-11-26T14:00:00.310Z] "GET /a HTTP/1.1" 200 - via_upstream - "-" 0 5 3 2 "-" "curl" "id" "cart.shop:80" "10.0.0.9:8080" outbound|80||cart.shop.svc.cluster.local 10.0.0.1:1 10.0.0.9:80',
      { path: "/a", host: "cart.shop:80", upstream: "outbound|80||cart.shop.svc.cluster.local" },
    ],
    [
      "envoy-json",
      '{"authority":"shop.example","path":"/x","upstream_cluster":"outbound|80||cart.shop.svc.cluster.local"}',
      { host: "shop.example", path: "/x", upstream: "outbound|80||cart.shop.svc.cluster.local" },
    ],
  ] as const)("%s reads %s", (format, line, hit) => {
    expect(PARSERS[format](line)).toEqual(hit);
  });

  it.each([
    ["nginx-combined", "garbage"],
    ["nginx-json", "{not json"],
    ["nginx-json", "plain text"],
    ["envoy", "no quotes here"],
  ] as const)("%s ignores %j", (format, line) => {
    expect(PARSERS[format](line)).toBeUndefined();
  });
});

const ingress = (
  ns: string,
  name: string,
  rules: { host?: string; path: string; svc: string; exact?: boolean }[],
) =>
  ({
    metadata: { namespace: ns, name },
    spec: {
      rules: rules.map((r) => ({
        ...(r.host !== undefined && { host: r.host }),
        http: {
          paths: [
            {
              path: r.path,
              pathType: r.exact ? "Exact" : "Prefix",
              backend: { service: { name: r.svc, port: { number: 80 } } },
            },
          ],
        },
      })),
    },
  }) as V1Ingress;

describe("Ingress routes", () => {
  const table = new RouteTable([
    ingress("shop", "web", [
      { host: "shop.example", path: "/", svc: "front" },
      { host: "shop.example", path: "/cart", svc: "cart" },
      { host: "shop.example", path: "/pay", svc: "pay", exact: true },
    ]),
    ingress("blog", "blog", [{ host: "*.blog.example", path: "/", svc: "blog" }]),
    ingress("misc", "any", [{ path: "/status", svc: "status" }]),
  ]);

  it.each<[string | undefined, string, string[]]>([
    ["shop.example", "/cart/items", ["shop/cart"]],
    ["SHOP.example:443", "/cart?x", ["shop/cart"]],
    ["shop.example", "/cartoon", ["shop/front"]],
    ["shop.example", "/pay", ["shop/pay"]],
    ["shop.example", "/pay/more", ["shop/front"]],
    ["a.blog.example", "/", ["blog/blog"]],
    ["a.b.blog.example", "/", []],
    ["other.example", "/status/x", ["misc/status"]],
    ["other.example", "/", []],
    [undefined, "/cart/1", ["shop/cart"]],
  ])("%s %s → %j", (host, path, expected) => {
    expect(table.lookup(host, path)).toEqual(expected);
  });

  it("reads Istio's cluster names", () => {
    expect(envoyClusterService("outbound|80||cart.shop.svc.cluster.local")).toBe("shop/cart");
    expect(envoyClusterService("shop-cart-80")).toBeUndefined();
  });
});

describe("following a log file", () => {
  const dir = mkdtempSync(join(tmpdir(), "kubenap-tail-"));
  let n = 0;
  const setup = (limits?: { chunkBytes: number; maxLineBytes: number; maxBytesPerPoll: number }) => {
    const file = join(dir, `access-${++n}.log`);
    writeFileSync(file, "old line before start\n");
    const lines: string[] = [];
    const t = new FileTailer(file, (l) => lines.push(l), limits);
    return { file, lines, t };
  };

  it("starts at the end, joins a line split across writes, and reads appended lines", async () => {
    const { file, lines, t } = setup();
    await t.poll(1);
    expect(lines).toEqual([]);
    appendFileSync(file, "one\ntw");
    await t.poll(2);
    appendFileSync(file, "o\nthree\n");
    await t.poll(3);
    expect(lines).toEqual(["one", "two", "three"]);
    expect(t.watchingSince).toBe(1);
    await t.close();
  });

  it("survives rename-and-create: the rest of the old file, then the new one from its start", async () => {
    const { file, lines, t } = setup();
    await t.poll(1);
    appendFileSync(file, "a\n");
    await t.poll(2);
    appendFileSync(file, "b\n");
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, "c\n"); // the writer still holds the old file for a moment
    await t.poll(3); // the path is missing: the old file is still read
    writeFileSync(file, "d\n");
    appendFileSync(`${file}.1`, "c2\n");
    await t.poll(4);
    appendFileSync(file, "e\n");
    await t.poll(5);
    expect(lines).toEqual(["a", "b", "c", "c2", "d", "e"]);
    expect(t.watchingSince).toBe(1);
    await t.close();
  });

  it("survives copytruncate, even when the new content outgrows the old before the next poll", async () => {
    const { file, lines, t } = setup();
    await t.poll(1);
    appendFileSync(file, `${"x".repeat(200)}\n`);
    await t.poll(2);
    truncateSync(file, 0);
    appendFileSync(file, "after truncate\n");
    await t.poll(3);
    truncateSync(file, 0);
    appendFileSync(file, `${"y".repeat(300)}\nlonger than before\n`);
    await t.poll(4);
    expect(lines).toEqual(["x".repeat(200), "after truncate", "y".repeat(300), "longer than before"]);
    await t.close();
  });

  it("skips a line longer than the limit without buffering it, and goes on", async () => {
    const { file, lines, t } = setup({ chunkBytes: 64, maxLineBytes: 100, maxBytesPerPoll: 1 << 20 });
    await t.poll(1);
    appendFileSync(file, `short\n${"z".repeat(1000)}\nafter\n`);
    await t.poll(2);
    expect(lines).toEqual(["short", "after"]);
    expect(t.skippedLines).toBe(1);
    await t.close();
  });

  it("reports a missing file, and watches again from when it reappears", async () => {
    const lines: string[] = [];
    const file = join(dir, "later.log");
    const t = new FileTailer(file, (l) => lines.push(l));
    await t.poll(1);
    expect(t.problem).toMatch(/ENOENT/);
    expect(t.watchingSince).toBeUndefined();
    writeFileSync(file, "");
    await t.poll(5);
    appendFileSync(file, "hello\n");
    await t.poll(6);
    expect(t.problem).toBeUndefined();
    expect(t.watchingSince).toBe(5);
    expect(lines).toEqual(["hello"]);
    await t.close();
  });
});

describe("the logs source", () => {
  it("is unknown until it has watched for idleAfter, then tells seen from none", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kubenap-logs-"));
    const file = join(dir, "access.log");
    writeFileSync(file, "");
    const clock = new FakeClock();
    const ing = [
      ingress("shop", "web", [
        { host: "shop.example", path: "/", svc: "cart" },
        { host: "quiet.example", path: "/", svc: "quiet" },
      ]),
    ];
    const source = new LogsSource(
      { files: [file], format: "nginx-json", pollIntervalMs: 1000, ingresses: { list: () => ing } },
      clock,
    );
    const targets = [
      { namespace: "shop", name: "cart", idleAfterMs: 10_000 },
      { namespace: "shop", name: "quiet", idleAfterMs: 10_000 },
      { namespace: "shop", name: "elsewhere", idleAfterMs: 10_000 },
    ];
    await clock.advance(0);
    await source.poll();
    appendFileSync(file, '{"host":"shop.example","request_uri":"/x"}\n');
    await clock.advance(2_000);
    await source.poll();
    const first = await source.lastActivity(targets);
    // Read by the first poll after the write (the timer's, at +1 s).
    expect(first.get("shop/cart")).toEqual({ kind: "seen", at: new Date(clock.now() - 1_000) });
    const quiet = first.get("shop/quiet");
    expect(quiet).toEqual({ kind: "none", lookbackMs: 2_000 });
    const unrouted = first.get("shop/elsewhere");
    expect(unrouted).toBeInstanceOf(MetricsSourceError);
    expect((unrouted as MetricsSourceError).message).toContain(
      "no Ingress rule routes to Service shop/elsewhere",
    );
    await clock.advance(20_000);
    const later = await source.lastActivity(targets);
    expect(later.get("shop/quiet")).toEqual({ kind: "none", lookbackMs: 22_000 });
    await source.close();
  });

  it("is unknown while a file cannot be read", async () => {
    const clock = new FakeClock();
    const source = new LogsSource(
      {
        files: ["/nonexistent/access.log"],
        format: "nginx-combined",
        pollIntervalMs: 1000,
        ingresses: { list: () => [] },
      },
      clock,
    );
    await source.poll();
    const r = (await source.lastActivity([{ namespace: "a", name: "b", idleAfterMs: 1 }])).get("a/b");
    expect(r).toBeInstanceOf(MetricsSourceError);
    expect((r as MetricsSourceError).message).toContain("ENOENT");
    await source.close();
  });
});
