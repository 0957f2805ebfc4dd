import type { V1Deployment } from "@kubernetes/client-node";
import type { Runtime } from "../../../src/main.js";
import {
  clients,
  createApp,
  ENABLED,
  eventsFor,
  freshNamespace,
  waitForDeployment,
  waitForEvent,
} from "../helpers/kube.js";
import { lastStartMs } from "../../../src/monitor/facts.js";
import { startKubenap } from "../helpers/runtime.js";
import { ManualSource } from "../helpers/sources.js";

const progressAt = (d: V1Deployment): number =>
  new Date(d.status?.conditions?.find((c) => c.type === "Progressing")?.lastUpdateTime ?? 0).getTime();

describe("the deployment monitor on a real control plane", () => {
  let ns: string;
  let source: ManualSource;
  let kubenap: Runtime;

  beforeEach(async () => {
    ns = await freshNamespace("monitor");
    source = new ManualSource();
    kubenap = await startKubenap(ns, source);
  });
  afterEach(async () => {
    await kubenap.stop();
  });

  it("puts an idle Deployment to sleep within idleAfter plus one sweep, recording its 3 replicas", async () => {
    await createApp(ns, "idle", { replicas: 3, labels: ENABLED, annotations: { "kubenap/idleAfter": "5s" } });
    const ready = await waitForDeployment(ns, "idle", (d) => d.status?.readyReplicas === 3);
    const asleep = await waitForDeployment(ns, "idle", (d) => d.spec?.replicas === 0, 5_000 + 1_000 + 5_000);
    const a = asleep.metadata?.annotations ?? {};
    expect(a["kubenap/replicaCount"]).toBe("3");
    expect(a["kubenap/state"]).toBe("asleep");
    const sleptAt = new Date(a["kubenap/sleptAt"] ?? "").getTime();
    // Grace runs from the last rollout progress; the sleep comes within idleAfter + one sweep (+ API latency).
    expect(sleptAt - progressAt(ready)).toBeGreaterThanOrEqual(5_000 - 1_000);
    expect(sleptAt - progressAt(ready)).toBeLessThanOrEqual(5_000 + 1_000 + 1_500);
    const ev = await waitForEvent(ns, "idle", "Sleeping");
    expect(ev.type).toBe("Normal");
    expect(ev.message).toContain("3 → 0");
  });

  it("never puts a Deployment that sees traffic every second to sleep over 3 × idleAfter", async () => {
    await createApp(ns, "busy", { replicas: 2, labels: ENABLED, annotations: { "kubenap/idleAfter": "3s" } });
    const key = `${ns}/busy`;
    source.lastSeen.set(key, new Date());
    const traffic = setInterval(() => source.lastSeen.set(key, new Date()), 1_000);
    try {
      const start = Date.now();
      while (Date.now() - start < 9_000) await source.nextCall(key);
    } finally {
      clearInterval(traffic);
    }
    const { apps } = clients();
    const dep = await apps.readNamespacedDeployment({ name: "busy", namespace: ns });
    expect(dep.spec?.replicas).toBe(2);
    expect(await eventsFor(ns, "busy", "Sleeping")).toHaveLength(0);
  });

  it("when the source errors, the app is not put to sleep; once it recovers, it is", async () => {
    source.failing = new Error("backend down");
    await createApp(ns, "flaky", {
      replicas: 1,
      labels: ENABLED,
      annotations: { "kubenap/idleAfter": "2s" },
    });
    const ev = await waitForEvent(ns, "flaky", "MetricsSourceError", 15_000);
    expect(ev.type).toBe("Warning");
    expect(ev.message).toContain("backend down");
    // Sweeps go on well past idleAfter while the source fails: still awake.
    const start = Date.now();
    while (Date.now() - start < 4_000) await source.nextCall(`${ns}/flaky`);
    const { apps } = clients();
    expect((await apps.readNamespacedDeployment({ name: "flaky", namespace: ns })).spec?.replicas).toBe(1);
    source.failing = undefined;
    const asleep = await waitForDeployment(ns, "flaky", (d) => d.spec?.replicas === 0, 10_000);
    expect(asleep.metadata?.annotations?.["kubenap/replicaCount"]).toBe("1");
  });

  /** An always-busy opted-in app, so that every sweep asks the source (which tests await). */
  async function anchor(): Promise<void> {
    source.busy.add(`${ns}/anchor`);
    await createApp(ns, "anchor", {
      replicas: 1,
      labels: ENABLED,
      annotations: { "kubenap/idleAfter": "1s" },
    });
  }

  it("reports an invalid idleAfter as a Warning naming key and value, and still handles the others", async () => {
    await anchor();
    await createApp(ns, "bad", {
      replicas: 1,
      labels: ENABLED,
      annotations: { "kubenap/idleAfter": "soon" },
    });
    await createApp(ns, "good", { replicas: 2, labels: ENABLED, annotations: { "kubenap/idleAfter": "2s" } });
    const ev = await waitForEvent(ns, "bad", "InvalidAnnotation", 15_000);
    expect(ev.type).toBe("Warning");
    expect(ev.message).toContain('kubenap/idleAfter="soon"');
    expect(ev.message).toMatch(/90s, 10m or 1h30m/);
    await waitForDeployment(ns, "good", (d) => d.spec?.replicas === 0, 15_000);
    await source.nextCall();
    const { apps } = clients();
    expect((await apps.readNamespacedDeployment({ name: "bad", namespace: ns })).spec?.replicas).toBe(1);
    // Identical warnings are not repeated every sweep.
    await source.afterCalls(2);
    expect(await eventsFor(ns, "bad", "InvalidAnnotation")).toHaveLength(1);
  });

  it("never touches a Deployment without the label or with kubenap/enabled=false", async () => {
    await anchor();
    const idle = { "kubenap/idleAfter": "1s" };
    const unlabelled = await createApp(ns, "unlabelled", { replicas: 1, annotations: idle });
    const disabled = await createApp(ns, "disabled", {
      replicas: 1,
      labels: { "kubenap/enabled": "false" },
      annotations: idle,
    });
    await createApp(ns, "control", { replicas: 1, labels: ENABLED, annotations: idle });
    await waitForDeployment(ns, "control", (d) => d.spec?.replicas === 0, 15_000);
    await source.afterCalls(2);
    const { apps } = clients();
    for (const before of [unlabelled, disabled]) {
      const now = await apps.readNamespacedDeployment({ name: before.metadata?.name ?? "", namespace: ns });
      expect(now.spec?.replicas).toBe(1);
      expect(now.metadata?.generation).toBe(before.metadata?.generation);
      expect(Object.keys(now.metadata?.annotations ?? {}).filter((k) => k.startsWith("kubenap/"))).toEqual([
        "kubenap/idleAfter",
      ]);
    }
    const ours = (await eventsFor(ns, "unlabelled")).filter((e) => e.reportingComponent === "kubenap");
    expect(ours).toEqual([]);
  });

  it("rejects a stale sleep when the user changed the Deployment meanwhile, and loses nothing", async () => {
    const key = `${ns}/raced`;
    const { apps } = clients();
    // Busy until the race is set up, so that no sweep puts it to sleep before the held one.
    source.busy.add(key);
    await createApp(ns, "raced", {
      replicas: 2,
      labels: ENABLED,
      annotations: { "kubenap/idleAfter": "1s" },
    });
    await waitForDeployment(ns, "raced", (d) => d.status?.readyReplicas === 2);
    // The held sweep must find it past its grace (idleAfter from its last rollout progress), or it would
    // leave it awake without trying to write.
    for (;;) {
      const d = await apps.readNamespacedDeployment({ name: "raced", namespace: ns });
      if (Date.now() > lastStartMs(d, undefined) + 1_000) break;
      await source.nextCall(key);
    }
    // Hold the next sweep inside the source call: the monitor has already read the Deployment. Its
    // answer, computed once released, is "no traffic".
    let release!: () => void;
    source.gate = new Promise((r) => (release = r));
    await source.nextCall(key);
    await apps.replaceNamespacedDeploymentScale({
      name: "raced",
      namespace: ns,
      body: { metadata: { name: "raced", namespace: ns }, spec: { replicas: 4 } },
    });
    source.busy.delete(key);
    const sweep = kubenap.monitor.sweep();
    source.gate = undefined;
    release();
    const report = await sweep;
    expect(report.conflicts).toContain(`${ns}/raced`);
    const after = await apps.readNamespacedDeployment({ name: "raced", namespace: ns });
    expect(after.spec?.replicas).toBe(4);
    // The next sweep re-evaluates with the user's count and records it.
    const asleep = await waitForDeployment(ns, "raced", (d) => d.spec?.replicas === 0, 15_000);
    expect(asleep.metadata?.annotations?.["kubenap/replicaCount"]).toBe("4");
  });

  it("leaves a Deployment targeted by an HPA awake and says why", async () => {
    await createApp(ns, "scaled", {
      replicas: 1,
      labels: ENABLED,
      annotations: { "kubenap/idleAfter": "1s" },
    });
    await clients()
      .kc.makeApiClient((await import("@kubernetes/client-node")).AutoscalingV2Api)
      .createNamespacedHorizontalPodAutoscaler({
        namespace: ns,
        body: {
          metadata: { name: "scaled" },
          spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "scaled" },
            minReplicas: 1,
            maxReplicas: 3,
          },
        },
      });
    const ev = await waitForEvent(ns, "scaled", "HPAConflict", 15_000);
    expect(ev.type).toBe("Warning");
    await source.afterCalls(2);
    expect(
      (await clients().apps.readNamespacedDeployment({ name: "scaled", namespace: ns })).spec?.replicas,
    ).toBe(1);
  });
});
