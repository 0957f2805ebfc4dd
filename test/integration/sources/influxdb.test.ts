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
import { freePort } from "../../cluster/ports.js";
import { Influxd } from "./helpers/influxd.js";
import { startConfigured } from "./helpers/kubenap.js";
import { trafficUntilReady } from "./helpers/traffic.js";

const IDLE = 5_000;
const REPORT = 1_000;
const SWEEP = 1_000;
const SLACK = 1_500;
const annotations = { "kubenap/idleAfter": `${IDLE / 1000}s` };

describe("the InfluxDB source, through the monitor, against a real influxd with Flux", () => {
  let ns: string;
  const influx = new Influxd();
  let kubenap: Runtime | undefined;
  /** Cumulative request counters the reporter writes every REPORT ms, per service. */
  const counters = new Map<string, number>();
  let reporter: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    ns = await freshNamespace("influx");
    await influx.start();
    const report = (): void => {
      const now = Date.now();
      const lines = [...counters].map(
        ([svc, n]) => `http_requests,namespace=${ns},service=${svc},pod=${svc}-0 count=${n} ${now}`,
      );
      if (lines.length > 0) void influx.write(lines).catch(() => undefined);
    };
    reporter = setInterval(report, REPORT);
    kubenap = await startConfigured(ns, [
      "--metrics-source",
      "influxdb",
      "--influxdb-url",
      influx.url,
      "--influxdb-bucket",
      "kubenap/autogen",
      "--influxdb-report-interval",
      `${REPORT}ms`,
      "--wake-port",
      String(await freePort()),
      "--wake-address",
      "127.0.0.1",
    ]);
  });
  afterAll(async () => {
    clearInterval(reporter);
    await kubenap?.stop();
    await influx.destroy();
  });

  it("keeps a busy app awake and puts a quiet one to sleep within a sweep and a report of idleAfter", async () => {
    counters.set("busy", 1);
    counters.set("quiet", 1);
    const traffic = setInterval(() => counters.set("busy", (counters.get("busy") ?? 0) + 1), 400);
    try {
      await createApp(ns, "busy", { replicas: 1, labels: ENABLED, annotations });
      await createApp(ns, "quiet", { replicas: 1, labels: ENABLED, annotations });
      await trafficUntilReady(ns, ["quiet"], () => counters.set("quiet", (counters.get("quiet") ?? 0) + 1));
      counters.set("quiet", (counters.get("quiet") ?? 0) + 1);
      const lastRequest = Date.now();
      const asleep = await waitForDeployment(ns, "quiet", (d) => d.spec?.replicas === 0, IDLE + 10_000);
      expect(sleptAt(asleep)).toBeGreaterThanOrEqual(lastRequest + IDLE - 50);
      expect(sleptAt(asleep)).toBeLessThanOrEqual(lastRequest + IDLE + REPORT + SWEEP + SLACK);
      // The busy app saw requests all along: after another idleAfter it is still awake.
      const until = Date.now() + IDLE;
      while (Date.now() < until) await new Promise((r) => setTimeout(r, 500));
      expect(
        (await clients().apps.readNamespacedDeployment({ name: "busy", namespace: ns })).spec?.replicas,
      ).toBe(1);
      expect(await eventsFor(ns, "busy", "Sleeping")).toHaveLength(0);
    } finally {
      clearInterval(traffic);
    }
  });

  it("reads a templated Flux kubenap/query, and a broken one makes only its app unknown", async () => {
    const flux = (field: string): string =>
      `from(bucket: "kubenap/autogen") |> range(start: {start}) |> filter(fn: (r) => r._measurement == "http_requests" and r._field == "${field}" and r.service == "{deployment}-svc")`;
    counters.set("templated-svc", 3);
    await createApp(ns, "templated", {
      replicas: 1,
      labels: ENABLED,
      annotations: { ...annotations, "kubenap/query": flux("count") },
    });
    await createApp(ns, "broken", {
      replicas: 1,
      labels: ENABLED,
      annotations: { ...annotations, "kubenap/query": `${flux("count")} |> (` },
    });
    const ev = await waitForEvent(ns, "broken", "MetricsSourceError", 15_000);
    expect(ev.message).toContain("compilation failed");
    await waitForDeployment(ns, "templated", (d) => d.spec?.replicas === 0, IDLE + 10_000);
    expect(
      (await clients().apps.readNamespacedDeployment({ name: "broken", namespace: ns })).spec?.replicas,
    ).toBe(1);
  });

  it("when influxd is down, nothing sleeps and the Event says why", async () => {
    counters.set("outage", 2);
    await createApp(ns, "outage", { replicas: 1, labels: ENABLED, annotations });
    await trafficUntilReady(ns, ["outage"], () => counters.set("outage", (counters.get("outage") ?? 0) + 1));
    await influx.stop();
    const stopped = Date.now();
    const ev = await waitForEvent(ns, "outage", "MetricsSourceError", 15_000);
    expect(ev.message).toMatch(/InfluxDB at http:\/\/127\.0\.0\.1:\d+ did not answer/);
    const metrics = await fetch(`http://127.0.0.1:${kubenap?.wakePort ?? 0}/metrics`).then((r) => r.text());
    const failed = Number(/kubenap_source_errors_total\{source="influxdb"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    expect(failed).toBeGreaterThanOrEqual(1);
    while (Date.now() < stopped + IDLE + 3_000) await new Promise((r) => setTimeout(r, 500));
    expect(
      (await clients().apps.readNamespacedDeployment({ name: "outage", namespace: ns })).spec?.replicas,
    ).toBe(1);
  });
});
