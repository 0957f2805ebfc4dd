import type { Runtime } from "../../../src/main.js";
import {
  clients,
  createApp,
  ENABLED,
  eventsFor,
  freshNamespace,
  sleptAt,
  waitForDeployment,
  waitForEvent,
} from "../helpers/kube.js";
import { startConfigured } from "./helpers/kubenap.js";
import { trafficUntilReady } from "./helpers/traffic.js";
import { CountingProxy, Exporter, Prometheus, type ScrapeJob } from "./helpers/prometheus.js";

const INTERVAL = 1_000;
const IDLE = 6_000;
const SWEEP = 1_000;
/** API round trips and informer latency on a shared 2-core machine. */
const SLACK = 1_500;

/** The counter each preset reads, in the shape its ingress (or the app) exports it. */
const shapes = (ns: string) => ({
  app: (name: string) => ({
    path: `app-${name}`,
    metric: "http_requests_total",
    labels: { namespace: ns, service: name, code: "200" },
  }),
  traefik: (name: string) => ({
    path: "traefik",
    metric: "traefik_service_requests_total",
    labels: { service: `${ns}-${name}-80@kubernetes`, code: "200", method: "GET", protocol: "http" },
  }),
  "ingress-nginx": (name: string) => ({
    path: "ingress-nginx",
    metric: "nginx_ingress_controller_requests",
    labels: { namespace: ns, ingress: name, service: name, status: "200", method: "GET" },
  }),
  istio: (name: string) => ({
    path: "istio",
    metric: "istio_requests_total",
    labels: {
      destination_service_namespace: ns,
      destination_service_name: name,
      reporter: "destination",
      response_code: "200",
    },
  }),
});

// Apps with their own scrape target (the `app` preset's up{namespace, service}).
const APP_TARGETS = [
  "app-busy",
  "app-idle",
  "custom-busy",
  "custom-idle",
  "badq",
  "badpreset",
  "down",
  "reset-zero",
  "reset-positive",
  "outage",
];

describe("the Prometheus source, through the monitor, against a real Prometheus", () => {
  let ns: string;
  const exporter = new Exporter();
  let prom: Prometheus;
  let proxy: CountingProxy;
  let kubenap: Runtime | undefined;
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    ns = await freshNamespace("prom");
    await exporter.start();
    for (const p of ["traefik", "ingress-nginx", "istio"]) exporter.target(p);
    for (const a of APP_TARGETS) exporter.target(`app-${a}`);
    const jobs: ScrapeJob[] = [
      {
        job: "app",
        targets: APP_TARGETS.map((a) => ({ path: `app-${a}`, labels: { namespace: ns, service: a } })),
      },
      { job: "traefik", targets: [{ path: "traefik" }] },
      { job: "ingress-nginx-controller", targets: [{ path: "ingress-nginx" }] },
      { job: "istio-ingressgateway", targets: [{ path: "istio" }] },
    ];
    prom = new Prometheus(exporter.port, INTERVAL);
    await prom.start(jobs);
    proxy = new CountingProxy(() => prom.port);
    await proxy.start();
    kubenap = await startConfigured(ns, [
      "--metrics-source",
      "prometheus",
      "--prometheus-url",
      `http://127.0.0.1:${proxy.port}`,
      "--prometheus-scrape-interval",
      `${INTERVAL}ms`,
    ]);
    // Prometheus must have scraped for a whole idleAfter before a quiet app can be proven idle.
    await exporter.scraped("app-app-idle", 2);
  });
  afterAll(async () => {
    timers.forEach(clearInterval);
    await kubenap?.stop();
    await proxy?.close();
    await prom?.destroy();
    await exporter.close();
  });

  /** Traffic every 500 ms on a counter, until the file ends. */
  const busy = (s: { path: string; metric: string; labels: Record<string, string> }): void => {
    exporter.inc(s.path, s.metric, s.labels);
    timers.push(setInterval(() => exporter.inc(s.path, s.metric, s.labels), 500));
  };

  /** Resolves once the monitor has asked Prometheus n more times (each sweep asks at least once). */
  async function queriesAfter(ms: number): Promise<void> {
    const until = Date.now() + ms;
    const start = proxy.count;
    while (Date.now() < until || proxy.count === start) {
      if (Date.now() > until + 10_000) throw new Error("the monitor stopped asking Prometheus");
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it("keeps busy apps awake and puts idle ones to sleep within a sweep and a scrape of idleAfter, in every preset's shape", async () => {
    const sh = shapes(ns);
    const presets = ["app", "traefik", "ingress-nginx", "istio"] as const;
    for (const p of presets) {
      const query: Record<string, string> = p === "app" ? {} : { "kubenap/query": `preset:${p}` };
      for (const kind of ["busy", "idle"]) {
        const name = `${p}-${kind}`;
        const s = sh[p](name);
        exporter.set(s.path, s.metric, s.labels, 10);
        if (kind === "busy") busy(s);
        await createApp(ns, name, {
          replicas: 1,
          labels: ENABLED,
          annotations: { "kubenap/idleAfter": `${IDLE / 1000}s`, ...query },
        });
      }
    }
    await trafficUntilReady(
      ns,
      presets.map((p) => `${p}-idle`),
      () => {
        for (const p of presets) {
          const s = sh[p](`${p}-idle`);
          exporter.inc(s.path, s.metric, s.labels);
        }
      },
    );
    // The idle apps' last request comes after their start, so it decides the earliest allowed sleep.
    for (const p of presets) {
      const s = sh[p](`${p}-idle`);
      exporter.inc(s.path, s.metric, s.labels, 3);
    }
    const lastRequest = Date.now();
    for (const p of presets) {
      const asleep = await waitForDeployment(ns, `${p}-idle`, (d) => d.spec?.replicas === 0, IDLE + 10_000);
      expect(asleep.metadata?.annotations?.["kubenap/replicaCount"]).toBe("1");
      expect(sleptAt(asleep)).toBeGreaterThanOrEqual(lastRequest + IDLE - 50);
      expect(sleptAt(asleep)).toBeLessThanOrEqual(lastRequest + IDLE + SWEEP + INTERVAL + SLACK);
    }
    // Busy apps saw traffic every 500 ms for more than idleAfter: still awake, never slept.
    await queriesAfter(IDLE);
    for (const p of presets) {
      const dep = await clients().apps.readNamespacedDeployment({ name: `${p}-busy`, namespace: ns });
      expect(dep.spec?.replicas).toBe(1);
      expect(await eventsFor(ns, `${p}-busy`, "Sleeping")).toHaveLength(0);
    }
  });

  it("reads a templated kubenap/query, and a syntax error or an unknown preset never sleeps but says why", async () => {
    const q = 'sum(rate(http_requests_total{namespace="{namespace}", service="{service}"}[3s]))';
    const sh = shapes(ns);
    for (const name of ["custom-busy", "custom-idle", "badq", "badpreset"]) {
      const s = sh.app(name);
      exporter.set(s.path, s.metric, s.labels, 1);
    }
    busy(sh.app("custom-busy"));
    const idle = { "kubenap/idleAfter": `${IDLE / 1000}s` };
    await createApp(ns, "custom-busy", {
      replicas: 1,
      labels: ENABLED,
      annotations: { ...idle, "kubenap/query": q },
    });
    await createApp(ns, "custom-idle", {
      replicas: 1,
      labels: ENABLED,
      annotations: { ...idle, "kubenap/query": q },
    });
    await createApp(ns, "badq", {
      replicas: 1,
      labels: ENABLED,
      annotations: { ...idle, "kubenap/query": 'sum(rate(http_requests_total{service="{service}"[1m]))' },
    });
    await createApp(ns, "badpreset", {
      replicas: 1,
      labels: ENABLED,
      annotations: { ...idle, "kubenap/query": "preset:haproxy" },
    });
    const created = Date.now();
    const bad = await waitForEvent(ns, "badq", "MetricsSourceError", 15_000);
    expect(bad.type).toBe("Warning");
    expect(bad.message).toContain("PromQL syntax error");
    const unknownPreset = await waitForEvent(ns, "badpreset", "MetricsSourceError", 15_000);
    expect(unknownPreset.message).toContain('unknown preset "haproxy"');
    await waitForDeployment(ns, "custom-idle", (d) => d.spec?.replicas === 0, IDLE + 15_000);
    // Well past idleAfter: the apps whose query is wrong are still awake, and so is the busy one.
    await queriesAfter(created + IDLE + 3_000 - Date.now());
    for (const name of ["badq", "badpreset", "custom-busy"]) {
      const dep = await clients().apps.readNamespacedDeployment({ name, namespace: ns });
      expect(dep.spec?.replicas).toBe(1);
    }
  });

  it("does not sleep an app whose scrape target is down, and sleeps it a full window after it is back", async () => {
    const s = shapes(ns).app("down");
    exporter.set(s.path, s.metric, s.labels, 5);
    exporter.down.add(s.path);
    await createApp(ns, "down", {
      replicas: 1,
      labels: ENABLED,
      annotations: { "kubenap/idleAfter": `${IDLE / 1000}s` },
    });
    const created = Date.now();
    const ev = await waitForEvent(ns, "down", "MetricsSourceError", 15_000);
    expect(ev.message).toMatch(
      /scrape target up\{namespace="[^"]+", service="down"\} (was down|has no samples)/,
    );
    await queriesAfter(created + IDLE + 3_000 - Date.now());
    expect(
      (await clients().apps.readNamespacedDeployment({ name: "down", namespace: ns })).spec?.replicas,
    ).toBe(1);
    exporter.down.delete(s.path);
    await exporter.scraped(s.path);
    const back = Date.now();
    const asleep = await waitForDeployment(ns, "down", (d) => d.spec?.replicas === 0, IDLE + 10_000);
    expect(sleptAt(asleep)).toBeGreaterThanOrEqual(back + IDLE - 2 * INTERVAL - 50);
  });

  it("does not count a counter reset to zero as traffic, and counts a reset to a positive value", async () => {
    const sh = shapes(ns);
    const zero = sh.app("reset-zero");
    const positive = sh.app("reset-positive");
    exporter.set(zero.path, zero.metric, zero.labels, 40);
    exporter.set(positive.path, positive.metric, positive.labels, 40);
    const idle = { "kubenap/idleAfter": `${IDLE / 1000}s` };
    await createApp(ns, "reset-zero", { replicas: 1, labels: ENABLED, annotations: idle });
    await createApp(ns, "reset-positive", { replicas: 1, labels: ENABLED, annotations: idle });
    await trafficUntilReady(ns, ["reset-zero", "reset-positive"], () => {
      exporter.inc(zero.path, zero.metric, zero.labels);
      exporter.inc(positive.path, positive.metric, positive.labels);
    });
    exporter.inc(zero.path, zero.metric, zero.labels, 10);
    exporter.inc(positive.path, positive.metric, positive.labels, 10);
    const lastRequest = Date.now();
    await exporter.scraped(zero.path, 4);
    // The pods restart: one counter starts again from 0, the other counted 3 requests since.
    exporter.set(zero.path, zero.metric, zero.labels, 0);
    exporter.set(positive.path, positive.metric, positive.labels, 3);
    const reset = Date.now();
    const a = await waitForDeployment(ns, "reset-zero", (d) => d.spec?.replicas === 0, IDLE + 10_000);
    expect(sleptAt(a)).toBeLessThan(reset + IDLE);
    expect(sleptAt(a)).toBeLessThanOrEqual(lastRequest + IDLE + SWEEP + INTERVAL + SLACK);
    const b = await waitForDeployment(ns, "reset-positive", (d) => d.spec?.replicas === 0, IDLE + 10_000);
    expect(sleptAt(b)).toBeGreaterThanOrEqual(reset + IDLE - 50);
  });

  it("when Prometheus is stopped, nothing sleeps; after a restart it waits for a full window of scrapes", async () => {
    const s = shapes(ns).app("outage");
    exporter.set(s.path, s.metric, s.labels, 5);
    await createApp(ns, "outage", {
      replicas: 1,
      labels: ENABLED,
      annotations: { "kubenap/idleAfter": `${IDLE / 1000}s` },
    });
    await trafficUntilReady(ns, ["outage"], () => exporter.inc(s.path, s.metric, s.labels));
    await prom.stop();
    const stopped = Date.now();
    const ev = await waitForEvent(ns, "outage", "MetricsSourceError", 15_000);
    expect(ev.message).toContain("did not answer");
    // Sweeps go on past idleAfter while Prometheus is down.
    const until = stopped + IDLE + 3_000;
    while (Date.now() < until) await new Promise((r) => setTimeout(r, 500));
    expect(
      (await clients().apps.readNamespacedDeployment({ name: "outage", namespace: ns })).spec?.replicas,
    ).toBe(1);
    await prom.start([
      {
        job: "app",
        targets: APP_TARGETS.map((a) => ({ path: `app-${a}`, labels: { namespace: ns, service: a } })),
      },
    ]);
    const restarted = Date.now();
    const asleep = await waitForDeployment(ns, "outage", (d) => d.spec?.replicas === 0, IDLE + 15_000);
    // The scrapes missed while Prometheus was down are not "no traffic": it needs a full window again.
    expect(sleptAt(asleep)).toBeGreaterThanOrEqual(restarted + IDLE - 2 * INTERVAL - 50);
  });
});

describe("the Prometheus source's cost", () => {
  it("asks Prometheus the same number of times per sweep for 200 apps as for 2", async () => {
    const exporter = new Exporter();
    await exporter.start();
    const prom = new Prometheus(exporter.port, INTERVAL);
    const nsSmall = await freshNamespace("prom-2");
    const nsLarge = await freshNamespace("prom-200");
    await prom.start([{ job: "bulk", targets: [{ path: "bulk" }] }]);
    const proxy = new CountingProxy(() => prom.port);
    await proxy.start();
    const runtimes: Runtime[] = [];
    try {
      const perSweep = async (ns: string, n: number): Promise<{ queries: number; unknown: number }> => {
        for (let i = 0; i < n; i++) {
          // Every other app sees traffic; the others are quiet without a scrape target (unknown).
          if (i % 2 === 0)
            exporter.set("bulk", "http_requests_total", { namespace: ns, service: `a${i}` }, i + 1);
        }
        await exporter.scraped("bulk", 2);
        // Pods that no node may run: the monitor only reads the Deployments, and 200 pods would
        // keep kwok busy for the test files after this one.
        await Promise.all(
          Array.from({ length: n }, (_, i) =>
            clients().apps.createNamespacedDeployment({
              namespace: ns,
              body: {
                metadata: { name: `a${i}`, labels: ENABLED, annotations: { "kubenap/idleAfter": "1h" } },
                spec: {
                  replicas: 1,
                  selector: { matchLabels: { app: `a${i}` } },
                  template: {
                    metadata: { labels: { app: `a${i}` } },
                    spec: {
                      nodeSelector: { "kubenap.test/no-such-node": "true" },
                      containers: [{ name: "app", image: "example.invalid/app:1" }],
                    },
                  },
                },
              },
            }),
          ),
        );
        const kubenap = await startConfigured(ns, [
          "--metrics-source",
          "prometheus",
          "--prometheus-url",
          `http://127.0.0.1:${proxy.port}`,
          "--prometheus-scrape-interval",
          `${INTERVAL}ms`,
          "--sweep-interval",
          "1h",
        ]);
        runtimes.push(kubenap);
        await kubenap.monitor.sweep();
        const before = proxy.count;
        const report = await kubenap.monitor.sweep();
        expect(report.considered).toBe(n);
        return { queries: proxy.count - before, unknown: report.unknown.length };
      };
      const small = await perSweep(nsSmall, 2);
      const large = await perSweep(nsLarge, 200);
      expect(small).toEqual({ queries: 2, unknown: 1 });
      expect(large).toEqual({ queries: 2, unknown: 100 });
    } finally {
      for (const r of runtimes) await r.stop();
      await proxy.close();
      await prom.destroy();
      await exporter.close();
    }
  });
});
