import { appendFileSync, mkdtempSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Runtime } from "../../../src/main.js";
import {
  clients,
  createApp,
  createIngress,
  ENABLED,
  eventsFor,
  freshNamespace,
  sleptAt,
  waitForDeployment,
  waitForEvent,
} from "../helpers/kube.js";
import { startConfigured } from "./helpers/kubenap.js";
import { trafficUntilReady } from "./helpers/traffic.js";

const IDLE = 5_000;
const SWEEP = 1_000;
const POLL = 200;
const SLACK = 1_500;

describe("the access-log source, through the monitor, with real files", () => {
  let ns: string;
  let file: string;
  let kubenap: Runtime | undefined;
  const flags = () => [
    "--metrics-source",
    "logs",
    "--logs-files",
    file,
    "--logs-format",
    "nginx-json",
    "--logs-poll-interval",
    `${POLL}ms`,
    "--metrics-sources",
    "none",
  ];
  const line = (host: string, path = "/"): void =>
    appendFileSync(file, `${JSON.stringify({ host, request_uri: path, status: 200 })}\n`);

  beforeAll(async () => {
    ns = await freshNamespace("logs");
    file = join(mkdtempSync(join(tmpdir(), "kubenap-logs-")), "access.log");
    writeFileSync(file, "");
    kubenap = await startConfigured(ns, flags());
  });
  afterAll(async () => {
    await kubenap?.stop();
  });

  it("keeps an app with requests awake through both kinds of rotation, and puts a quiet one to sleep", async () => {
    const annotations = { "kubenap/idleAfter": `${IDLE / 1000}s` };
    await createApp(ns, "busy", { replicas: 1, labels: ENABLED, annotations });
    await createApp(ns, "quiet", { replicas: 1, labels: ENABLED, annotations });
    await createIngress(ns, "busy", "busy.example", "busy");
    await createIngress(ns, "quiet", "quiet.example", "quiet");
    await trafficUntilReady(ns, ["busy", "quiet"], () => {
      line("busy.example");
      line("quiet.example", "/warm");
    });
    line("quiet.example", "/last");
    const lastRequest = Date.now();
    const start = Date.now();
    let rotatedRename = false;
    let rotatedTruncate = false;
    // Requests every 500 ms for 3 × idleAfter, rotating the file one way, then the other.
    while (Date.now() - start < 3 * IDLE) {
      line("busy.example:443", `/page?t=${Date.now()}`);
      if (!rotatedRename && Date.now() - start > IDLE / 2) {
        renameSync(file, `${file}.1`);
        appendFileSync(`${file}.1`, `${JSON.stringify({ host: "busy.example", request_uri: "/late" })}\n`);
        writeFileSync(file, "");
        rotatedRename = true;
      }
      if (!rotatedTruncate && Date.now() - start > IDLE * 1.5) {
        truncateSync(file, 0);
        rotatedTruncate = true;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const asleep = await waitForDeployment(ns, "quiet", (d) => d.spec?.replicas === 0, 5_000);
    expect(sleptAt(asleep)).toBeGreaterThanOrEqual(lastRequest + IDLE - 50);
    expect(sleptAt(asleep)).toBeLessThanOrEqual(lastRequest + IDLE + SWEEP + POLL + SLACK);
    const busy = await clients().apps.readNamespacedDeployment({ name: "busy", namespace: ns });
    expect(busy.spec?.replicas).toBe(1);
    expect(await eventsFor(ns, "busy", "Sleeping")).toHaveLength(0);
  });

  it("asks the source an app names in kubenap/metricsSource, beside the default one", async () => {
    const idle = { "kubenap/idleAfter": `${IDLE / 1000}s` };
    await createApp(ns, "by-logs", { replicas: 1, labels: ENABLED, annotations: idle });
    await createApp(ns, "by-none", {
      replicas: 1,
      labels: ENABLED,
      annotations: { ...idle, "kubenap/metricsSource": "none" },
    });
    await createIngress(ns, "by-logs", "by-logs.example", "by-logs");
    await createIngress(ns, "by-none", "by-none.example", "by-none");
    const ev = await waitForEvent(ns, "by-none", "MetricsSourceError", 15_000);
    expect(ev.message).toContain("no metrics source is configured");
    await waitForDeployment(ns, "by-logs", (d) => d.spec?.replicas === 0, IDLE + 15_000);
    expect(
      (await clients().apps.readNamespacedDeployment({ name: "by-none", namespace: ns })).spec?.replicas,
    ).toBe(1);
  });

  it("after a restart, does not put an app to sleep before it has watched the logs for idleAfter", async () => {
    await createApp(ns, "restart", {
      replicas: 1,
      labels: ENABLED,
      annotations: { "kubenap/idleAfter": `${IDLE / 1000}s` },
    });
    await createIngress(ns, "restart", "restart.example", "restart");
    await trafficUntilReady(ns, ["restart"], () => line("restart.example"));
    await kubenap?.stop();
    // Long enough that the app's grace period is over: only the source's own watch time holds it.
    await new Promise((r) => setTimeout(r, IDLE));
    // The new process starts watching the logs somewhere between these two instants.
    const starting = Date.now();
    kubenap = await startConfigured(ns, flags());
    const started = Date.now();
    const asleep = await waitForDeployment(ns, "restart", (d) => d.spec?.replicas === 0, IDLE + 10_000);
    expect(sleptAt(asleep)).toBeGreaterThanOrEqual(starting + IDLE - 250); // clocks of two processes
    expect(sleptAt(asleep)).toBeLessThanOrEqual(started + IDLE + SWEEP + POLL + SLACK);
  });
});
