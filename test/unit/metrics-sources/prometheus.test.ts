import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigErrors, loadConfig } from "../../../src/config/config.js";
import { createSources } from "../../../src/metrics-sources/index.js";
import { PRESETS } from "../../../src/metrics-sources/prometheus/presets.js";
import { checkTemplate, expand, promqlSyntaxError } from "../../../src/metrics-sources/prometheus/promql.js";
import type { SourceTarget } from "../../../src/metrics-sources/types.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { silentLogger } from "../helpers/logger.js";

const target: SourceTarget = { namespace: "shop", name: "cart", idleAfterMs: 60_000 };
const ctx = (argv: string[], env: Record<string, string> = {}) => ({
  config: loadConfig({ argv, env, hostname: "h", pid: 1 }),
  clock: new FakeClock(),
  logger: silentLogger(),
  ingresses: { list: () => [] },
});

describe("PromQL checks of kubenap/query", () => {
  it.each<[string, boolean]>([
    ['sum(rate(http_requests_total{service="x"}[1m]))', true],
    ["up", true],
    ['sum(rate(http_requests_total{service="x"[1m]))', false],
    ["sum(rate(x[1m])", false],
    ["", false],
  ])("%j parses: %s", (q, ok) => {
    expect(promqlSyntaxError(q) === undefined).toBe(ok);
  });

  it.each<[string, SourceTarget, string | RegExp]>([
    ['x{namespace="{namespace}", service="{service}"}', target, 'x{namespace="shop", service="cart"}'],
    ['x{service="{service}"}', { ...target, service: "cart-svc" }, 'x{service="cart-svc"}'],
    ['x{d="{deployment}", i="{ingress}"}', { ...target, ingress: "web" }, 'x{d="cart", i="web"}'],
    ['x{i="{ingress}"}', target, /\{ingress\} is used but the Deployment has no kubenap\/ingress/],
    ['x{p="{pod}"}', target, /unknown placeholder \{pod\}/],
  ])("expands %j", (template, t, expected) => {
    const e = expand(template, t);
    if (typeof expected === "string") expect(e).toEqual({ ok: true, text: expected });
    else expect(e.ok ? e.text : e.reason).toMatch(expected);
  });

  it("checks a template for both placeholders and syntax", () => {
    expect(checkTemplate('up{job="{service}"}')).toBeUndefined();
    expect(checkTemplate('up{job="{svc}"}')).toMatch(/unknown placeholder/);
    expect(checkTemplate('up{job="{service}"')).toMatch(/syntax error/);
  });
});

describe("presets", () => {
  it("map Traefik's service names back to the app, whatever the port", () => {
    const ts: SourceTarget[] = [target, { namespace: "shop", name: "cart-api", idleAfterMs: 1 }];
    expect(PRESETS.traefik.owners({ service: "shop-cart-80@kubernetes" }, ts)).toEqual([target]);
    expect(PRESETS.traefik.owners({ service: "shop-cart-http@kubernetescrd" }, ts)).toEqual([target]);
    expect(PRESETS.traefik.owners({ service: "shop-cart-api-80@kubernetes" }, ts).map((t) => t.name)).toEqual(
      ["cart-api"],
    );
    expect(PRESETS.traefik.owners({ service: "other-cart-80@kubernetes" }, ts)).toEqual([]);
    expect(PRESETS.traefik.owners({ service: "shop-cart-http-alt@kubernetes" }, ts)).toEqual([target]);
  });

  it("group the app preset by namespace and service", () => {
    const ts: SourceTarget[] = [target, { namespace: "b", name: "x", service: "y", idleAfterMs: 1 }];
    expect(PRESETS.app.matchers(ts)).toBe('namespace=~"b|shop", service=~"cart|y"');
    expect(PRESETS.app.owners({ namespace: "b", service: "y" }, ts)).toEqual([ts[1]]);
  });
});

describe("the Prometheus source's configuration", () => {
  it("lists every problem at start-up, each naming its option", () => {
    const dir = mkdtempSync(join(tmpdir(), "kubenap-prom-"));
    let err: unknown;
    try {
      createSources(
        ctx([
          "--metrics-source",
          "prometheus",
          "--prometheus-url",
          "prometheus:9090",
          "--prometheus-ca-file",
          join(dir, "missing.pem"),
          "--prometheus-username",
          "kubenap",
          "--prometheus-up-query",
          'up{job="{job}"}',
        ]),
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigErrors);
    const keys = (err as ConfigErrors).problems.map((p) => p.key);
    expect(keys).toEqual([
      "--prometheus-url",
      "--prometheus-ca-file",
      "--prometheus-username",
      "--prometheus-up-query",
    ]);
    expect((err as ConfigErrors).message).toContain("expected an http:// or https:// URL");
  });

  it("requires a URL", () => {
    expect(() => createSources(ctx(["--metrics-source", "prometheus"]))).toThrow(
      /--prometheus-url.*required/,
    );
  });

  it("reads its section of the YAML file and starts several sources", () => {
    const dir = mkdtempSync(join(tmpdir(), "kubenap-prom-"));
    const file = join(dir, "config.yaml");
    writeFileSync(
      file,
      "metricsSource: none\nmetricsSources: [prometheus]\nprometheus:\n  url: http://127.0.0.1:9090\n  preset: traefik\n  scrapeInterval: 15s\n",
    );
    const c = ctx(["--config", file]);
    expect(c.config).toMatchObject({
      prometheusUrl: "http://127.0.0.1:9090",
      prometheusPreset: "traefik",
      prometheusScrapeInterval: 15_000,
    });
    expect([...createSources(c).keys()]).toEqual(["none", "prometheus"]);
  });

  it("rejects an unknown preset as a configuration error", () => {
    expect(() => ctx(["--prometheus-preset", "haproxy"])).toThrow(/--prometheus-preset.*expected one of/);
  });
});
