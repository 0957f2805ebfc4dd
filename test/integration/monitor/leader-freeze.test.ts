import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clients, createApp, eventsFor, freshNamespace, waitForDeployment } from "../helpers/kube.js";
import { KubenapProcess, monitorFlags } from "../helpers/process.js";

const LEASE_MS = 4_000;

function kubenap(ns: string, identity: string, env: Record<string, string>): KubenapProcess {
  return new KubenapProcess(
    monitorFlags({ namespace: ns, identity, sweepInterval: "200ms", leaseMs: LEASE_MS }),
    env,
  );
}

describe("a leader frozen mid-sweep (SIGSTOP)", () => {
  const procs: KubenapProcess[] = [];
  afterEach(async () => {
    for (const p of procs) p.child.kill("SIGCONT");
    await Promise.all(procs.splice(0).map((p) => p.kill()));
  });

  it("is replaced within the lease duration and, once resumed, writes nothing", async () => {
    const ns = await freshNamespace("freeze");
    const apps = ["a1", "a2", "a3"];
    for (const name of apps) {
      await createApp(ns, name, {
        replicas: 1,
        labels: { "kubenap/enabled": "true" },
        annotations: { "kubenap/idleAfter": "1s" },
      });
    }
    for (const name of apps) await waitForDeployment(ns, name, (d) => d.status?.readyReplicas === 1);

    // The old leader's source takes 2 s to answer, "active" until the test switches it to "idle";
    // the new leader's always says "active".
    const modeFile = join(mkdtempSync(join(tmpdir(), "kubenap-freeze-")), "mode");
    writeFileSync(modeFile, "active");
    const old = kubenap(ns, "old", {
      KUBENAP_TEST_SOURCE_FILE: modeFile,
      KUBENAP_TEST_SOURCE_DELAY_MS: "2000",
    });
    procs.push(old);
    await old.waitLog((l) => l.message === "became leader");
    const fresh = kubenap(ns, "new", { KUBENAP_TEST_SOURCE: "active" });
    procs.push(fresh);
    await fresh.waitLog((l) => l.message === "informers synced");

    // Freeze the old leader right after a sweep asked the source that answers "idle": that sweep
    // will decide to sleep all three apps.
    writeFileSync(modeFile, "idle");
    const mark = old.seen;
    await old.waitLog((l) => l.message === "test source asked" && l.mode === "idle", 30_000, false);
    old.child.kill("SIGSTOP");
    const frozenAt = Date.now();
    await fresh.waitLog((l) => l.message === "became leader", LEASE_MS + 5_000);
    expect(Date.now() - frozenAt).toBeLessThan(LEASE_MS + 2_000);

    // Resume it: its sweep finishes with the stale decision, but it may no longer act.
    const resumed = old.seen;
    old.child.kill("SIGCONT");
    await old.waitLogSince(resumed, (l) => l.message === "lost leadership", 10_000);
    await old.waitLogSince(
      resumed,
      (l) =>
        l.message === "sweep done" ||
        l.message === "sweep still running at stop; no further writes will be made",
      10_000,
    );
    expect(mark).toBeLessThan(resumed);

    const { apps: api } = clients();
    for (const name of apps) {
      const d = await api.readNamespacedDeployment({ name, namespace: ns });
      expect({ name, replicas: d.spec?.replicas }).toEqual({ name, replicas: 1 });
      expect(await eventsFor(ns, name, "Sleeping")).toEqual([]);
    }
  });
});
