// Reliability (issue 12, 4): Prometheus stopped for 3 x idleAfter while KubeNap runs.
import type { Runtime } from "../../../src/main.js";
import { freePort } from "../../cluster/ports.js";
import { createApp, freshNamespace, httpGet, waitForDeployment } from "../helpers/kube.js";
import { startConfigured } from "../sources/helpers/kubenap.js";
import { Exporter, Prometheus, type ScrapeJob } from "../sources/helpers/prometheus.js";
import { trafficUntilReady } from "../sources/helpers/traffic.js";
import { DeploymentWatch } from "./helpers/deployments.js";

const INTERVAL = 1_000;
const IDLE = 4_000;
const ENABLED = { "kubenap/enabled": "true" };

describe("Prometheus stopped for three times idleAfter", () => {
  const exporter = new Exporter();
  let prom: Prometheus | undefined;
  let kubenap: Runtime | undefined;
  let watch: DeploymentWatch | undefined;
  afterAll(async () => {
    watch?.stop();
    await kubenap?.stop();
    await prom?.destroy();
    await exporter.close();
  });

  it("sleeps nothing meanwhile, still wakes apps, and sleeping resumes once it is back", async () => {
    const ns = await freshNamespace("prom-outage");
    await exporter.start();
    const series = (name: string) => ({
      path: `app-${name}`,
      metric: "http_requests_total",
      labels: { namespace: ns, service: name, code: "200" },
    });
    const jobs: ScrapeJob[] = [
      {
        job: "app",
        targets: ["quiet", "sleeper"].map((a) => ({
          path: `app-${a}`,
          labels: { namespace: ns, service: a },
        })),
      },
    ];
    for (const a of ["quiet", "sleeper"]) exporter.set(series(a).path, series(a).metric, series(a).labels, 1);
    prom = new Prometheus(exporter.port, INTERVAL);
    await prom.start(jobs);
    const wakePort = await freePort();
    kubenap = await startConfigured(ns, [
      "--metrics-source",
      "prometheus",
      "--prometheus-url",
      `http://127.0.0.1:${prom.port}`,
      "--prometheus-scrape-interval",
      `${INTERVAL}ms`,
      "--prometheus-timeout",
      "1s",
      "--wake-port",
      String(wakePort),
      "--wake-address",
      "127.0.0.1",
      "--settle-delay",
      "0s",
    ]);
    // "quiet" is awake and gets no more traffic: it would sleep IDLE after its last request.
    const idle = { "kubenap/idleAfter": `${IDLE / 1000}s` };
    await createApp(ns, "quiet", { replicas: 1, labels: ENABLED, annotations: idle });
    // "sleeper" is asleep, as KubeNap leaves an app.
    await createApp(ns, "sleeper", {
      replicas: 0,
      labels: ENABLED,
      annotations: { ...idle, "kubenap/state": "asleep", "kubenap/replicaCount": "1" },
    });
    watch = await DeploymentWatch.start(ns);
    const q = series("quiet");
    await trafficUntilReady(ns, ["quiet"], () => exporter.inc(q.path, q.metric, q.labels));
    exporter.inc(q.path, q.metric, q.labels);
    await exporter.scraped(q.path);

    await prom.stop();
    const stopped = Date.now();
    // A wake during the outage: the wake path does not need the metrics source.
    const woke = await httpGet(wakePort, `/wake/${ns}/sleeper`);
    expect(woke.status).toBe(307);
    await waitForDeployment(ns, "sleeper", (d) => d.spec?.replicas === 1, 10_000);
    // Sweeps go on (every second) for 3 x idleAfter with Prometheus down: nothing may sleep.
    await expect(
      watch.until("quiet", (d) => d.spec?.replicas === 0, stopped + 3 * IDLE - Date.now()),
    ).rejects.toThrow(/did not reach/);
    for (const name of ["quiet", "sleeper"]) {
      expect({ name, sleeps: watch.changesTo(name, (r) => r === 0) }).toEqual({ name, sleeps: 0 });
    }

    await prom.start(jobs);
    const back = Date.now();
    // Both sleep again once Prometheus has scraped them for a full idleAfter since it came back.
    for (const name of ["quiet", "sleeper"]) {
      const asleep = await waitForDeployment(ns, name, (d) => d.spec?.replicas === 0, IDLE + 15_000);
      const sleptAt = new Date(asleep.metadata?.annotations?.["kubenap/sleptAt"] ?? "").getTime();
      expect(sleptAt).toBeGreaterThanOrEqual(back + IDLE - 2 * INTERVAL - 50);
    }
  }, 90_000);
});
