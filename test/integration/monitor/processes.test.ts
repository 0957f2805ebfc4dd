import type { CoreV1Event } from "@kubernetes/client-node";
import {
  clients,
  createApp,
  ENABLED,
  freshNamespace,
  testKubeConfig,
  waitFor,
  waitForDeployment,
} from "../helpers/kube.js";
import { KubenapProcess, monitorFlags } from "../helpers/process.js";

const LEASE_MS = 4_000;

function kubenap(ns: string, identity: string): KubenapProcess {
  const flags = monitorFlags({ namespace: ns, identity, sweepInterval: "500ms", leaseMs: LEASE_MS });
  return new KubenapProcess([...flags, "--wake-address", "127.0.0.1"]);
}

const sleepingEvent = (ns: string, name: string): Promise<CoreV1Event> =>
  waitFor<CoreV1Event>(
    testKubeConfig(),
    `/api/v1/namespaces/${ns}/events`,
    (e) => e.involvedObject?.name === name && e.reason === "Sleeping",
    30_000,
  );

describe("KubeNap as processes", () => {
  const procs: KubenapProcess[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
  });

  it("with two monitors exactly one acts, and the other takes over within the lease duration when it dies", async () => {
    const ns = await freshNamespace("leader");
    const a = kubenap(ns, "monitor-a");
    const b = kubenap(ns, "monitor-b");
    procs.push(a, b);
    const first = await Promise.race([
      a
        .waitLog((l) => l.message === "became leader")
        .then(() => ({ leader: a, follower: b, id: "monitor-a" })),
      b
        .waitLog((l) => l.message === "became leader")
        .then(() => ({ leader: b, follower: a, id: "monitor-b" })),
    ]);
    await createApp(ns, "one", { replicas: 2, labels: ENABLED, annotations: { "kubenap/idleAfter": "1s" } });
    const ev = await sleepingEvent(ns, "one");
    expect(ev.reportingInstance).toBe(first.id);
    // The follower never swept: it logs no "sweep done" at all.
    await first.leader.waitLog((l) => l.message === "sweep done", 10_000, false);
    await expect(first.follower.waitLog((l) => l.message === "sweep done", 1_000)).rejects.toThrow(
      /not seen/,
    );

    const killedAt = Date.now();
    await first.leader.kill("SIGKILL");
    await first.follower.waitLog((l) => l.message === "became leader", LEASE_MS + 3_000);
    const takeover = Date.now() - killedAt;
    expect(takeover).toBeLessThanOrEqual(LEASE_MS + 1_500);

    await createApp(ns, "two", { replicas: 1, labels: ENABLED, annotations: { "kubenap/idleAfter": "1s" } });
    const ev2 = await sleepingEvent(ns, "two");
    expect(ev2.reportingInstance).not.toBe(first.id);
  });

  it("killed with SIGKILL and restarted: a sleeping app stays asleep with its count, an awake one keeps its grace", async () => {
    const ns = await freshNamespace("restart");
    await createApp(ns, "sleeper", {
      replicas: 0,
      labels: ENABLED,
      annotations: { "kubenap/idleAfter": "1s", "kubenap/replicaCount": "3", "kubenap/state": "asleep" },
    });
    // Long enough for two process starts and one lease takeover (the killed process held the lease),
    // also on a loaded 2-core CI machine (20 s was not; nor were 15 s per start with parallel lanes).
    const graceMs = 50_000;
    const wokeAt = new Date();
    await createApp(ns, "fresh", {
      replicas: 2,
      labels: ENABLED,
      annotations: {
        "kubenap/idleAfter": `${graceMs / 1000}s`,
        "kubenap/wokeAt": wokeAt.toISOString(),
        "kubenap/state": "awake",
      },
    });
    const first = kubenap(ns, "restart-1");
    procs.push(first);
    await first.waitLog((l) => l.message === "sweep done" && Number(l.considered) === 2, 25_000);
    await first.kill("SIGKILL");

    const second = kubenap(ns, "restart-2");
    procs.push(second);
    await second.waitLog((l) => l.message === "sweep done" && Number(l.considered) === 2, 25_000);
    const { apps } = clients();
    const [sleeper, fresh] = await Promise.all(
      ["sleeper", "fresh"].map((name) => apps.readNamespacedDeployment({ name, namespace: ns })),
    );
    expect(Date.now() - wokeAt.getTime()).toBeLessThan(graceMs);
    expect(sleeper?.spec?.replicas).toBe(0);
    expect(sleeper?.metadata?.annotations?.["kubenap/replicaCount"]).toBe("3");
    expect(fresh?.spec?.replicas).toBe(2);

    const asleep = await waitForDeployment(ns, "fresh", (d) => d.spec?.replicas === 0, graceMs + 5_000);
    const sleptAt = new Date(asleep.metadata?.annotations?.["kubenap/sleptAt"] ?? "").getTime();
    expect(sleptAt - wokeAt.getTime()).toBeGreaterThanOrEqual(graceMs);
    expect(asleep.metadata?.annotations?.["kubenap/replicaCount"]).toBe("2");
  });
});
