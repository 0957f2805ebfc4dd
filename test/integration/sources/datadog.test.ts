import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
import { FakeDatadog } from "./helpers/datadog.js";
import { startConfigured } from "./helpers/kubenap.js";
import { trafficUntilReady } from "./helpers/traffic.js";

const IDLE = 5_000;
const INTERVAL = 1_000;
const SWEEP = 1_000;
const SLACK = 1_500;
const annotations = { "kubenap/idleAfter": `${IDLE / 1000}s` };
const replicas = async (ns: string, name: string): Promise<number | undefined> =>
  (await clients().apps.readNamespacedDeployment({ name, namespace: ns })).spec?.replicas;

describe("the Datadog source, through the official client, against a local Datadog API", () => {
  let ns: string;
  const dd = new FakeDatadog();
  const keyFile = join(mkdtempSync(join(tmpdir(), "kubenap-dd-")), "api-key");
  let kubenap: Runtime | undefined;
  const timers: NodeJS.Timeout[] = [];

  beforeAll(async () => {
    ns = await freshNamespace("datadog");
    await dd.start();
    writeFileSync(keyFile, `${dd.apiKey}\n`);
    kubenap = await startConfigured(
      ns,
      [
        "--metrics-source",
        "datadog",
        "--datadog-url",
        `http://127.0.0.1:${dd.port}`,
        "--datadog-api-key-file",
        keyFile,
        "--datadog-interval",
        `${INTERVAL}ms`,
      ],
      { DD_APP_KEY: dd.appKey },
    );
  });
  afterAll(async () => {
    timers.forEach(clearInterval);
    await kubenap?.stop();
    await dd.close();
  });

  it("keeps a busy app awake, puts a quiet one to sleep, and never calls an app without a series idle", async () => {
    dd.hit(ns, "busy");
    timers.push(setInterval(() => dd.hit(ns, "busy"), 500));
    await createApp(ns, "busy", { replicas: 1, labels: ENABLED, annotations });
    await createApp(ns, "quiet", { replicas: 1, labels: ENABLED, annotations });
    await createApp(ns, "unreported", { replicas: 1, labels: ENABLED, annotations });
    await trafficUntilReady(ns, ["quiet"], () => dd.hit(ns, "quiet"));
    dd.hit(ns, "quiet");
    const lastRequest = Date.now();
    const asleep = await waitForDeployment(ns, "quiet", (d) => d.spec?.replicas === 0, IDLE + 10_000);
    expect(sleptAt(asleep)).toBeGreaterThanOrEqual(lastRequest + IDLE - 50);
    expect(sleptAt(asleep)).toBeLessThanOrEqual(lastRequest + IDLE + INTERVAL + SWEEP + SLACK);
    const ev = await waitForEvent(ns, "unreported", "MetricsSourceError");
    expect(ev.message).toContain("no kube_namespace:");
    expect(await replicas(ns, "unreported")).toBe(1);
    expect(await replicas(ns, "busy")).toBe(1);
    expect(await eventsFor(ns, "busy", "Sleeping")).toHaveLength(0);
    // One query per sweep for all apps, grouped by the namespace and service tags.
    const q = dd.requests[dd.requests.length - 1];
    expect(q?.query).toMatch(/by \{kube_namespace,kube_service\}.*\.rollup\(sum, 1\)$/);
  });

  it("on 429, stops querying until the rate limit resets, sleeps nothing meanwhile, then goes on", async () => {
    await createApp(ns, "limited", { replicas: 1, labels: ENABLED, annotations });
    await trafficUntilReady(ns, ["limited"], () => dd.hit(ns, "limited"));
    dd.hit(ns, "limited");
    dd.rateLimitedFor = 4;
    const limitedAt = Date.now();
    const ev = await waitForEvent(ns, "limited", "MetricsSourceError", 10_000);
    expect(ev.message).toMatch(/rate limit reached \(HTTP 429, limit 100 per 3600s\): no query for 4s/);
    const firstRefusal = dd.requests.findLast((r) => r.at >= limitedAt)?.at ?? 0;
    dd.rateLimitedFor = 0;
    // Well past idleAfter: the app slept only after the reset, and no query was sent before it.
    const asleep = await waitForDeployment(ns, "limited", (d) => d.spec?.replicas === 0, IDLE + 15_000);
    const during = dd.requests.filter((r) => r.at > firstRefusal && r.at < firstRefusal + 4_000 - 200);
    expect(during).toHaveLength(0);
    expect(sleptAt(asleep)).toBeGreaterThanOrEqual(firstRefusal + 4_000 - 200);
  });

  it("on 403, says the keys were refused without showing them, and recovers when the key file is fixed", async () => {
    await createApp(ns, "refused", { replicas: 1, labels: ENABLED, annotations });
    await trafficUntilReady(ns, ["refused"], () => dd.hit(ns, "refused"));
    dd.hit(ns, "refused");
    writeFileSync(keyFile, "revoked-key\n");
    const refusedAt = Date.now();
    const ev = await waitForEvent(ns, "refused", "MetricsSourceError", 10_000);
    expect(ev.message).toContain("Datadog refused the keys (HTTP 403)");
    expect(ev.message).not.toContain("revoked-key");
    expect(ev.message).not.toContain(dd.appKey);
    while (Date.now() < refusedAt + IDLE + 2_000) await new Promise((r) => setTimeout(r, 500));
    expect(await replicas(ns, "refused")).toBe(1);
    writeFileSync(keyFile, `${dd.apiKey}\n`);
    await waitForDeployment(ns, "refused", (d) => d.spec?.replicas === 0, 10_000);
  });
});
