// Reliability (issue 12, 2): two KubeNap replicas; the leader SIGKILLed during a sweep, then the
// next leader SIGKILLed while it holds wakes.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../cluster/ports.js";
import { createApp, freshNamespace, httpGet } from "../helpers/kube.js";
import { KubenapProcess, wakePortOf } from "../helpers/process.js";
import { asleepWith, DeploymentWatch } from "./helpers/deployments.js";
import { fastRunArgs } from "./helpers/supervised.js";

const LEASE_MS = 4_000;
/** Lease retry period plus API round trips on a loaded 2-core machine. */
const TAKEOVER_SLACK_MS = 2_500;
const APPS = ["s1", "s2", "s3"];

interface Replica {
  p: KubenapProcess;
  port: number;
  id: string;
}

describe("two KubeNap replicas, the leader SIGKILLed", () => {
  const procs: KubenapProcess[] = [];
  let watch: DeploymentWatch | undefined;
  afterEach(async () => {
    watch?.stop();
    await Promise.all(procs.splice(0).map((p) => p.kill()));
  });

  it("during a sweep and during wakes: the other leads within the lease duration; no app slept twice or left half-woken", async () => {
    const ns = await freshNamespace("leader-kill");
    const modeFile = join(mkdtempSync(join(tmpdir(), "kubenap-leader-kill-")), "mode");
    writeFileSync(modeFile, "active");
    const start = async (id: string): Promise<Replica> => {
      const port = await freePort();
      const p = new KubenapProcess(
        fastRunArgs(ns, port, [
          ...["--lease-namespace", ns, "--lease-duration", `${LEASE_MS}ms`, "--lease-retry", "500ms"],
          ...["--identity", id, "--log-level", "debug"],
        ]),
        // Each sweep spends a second in the source: a kill after "test source asked" is mid-sweep.
        { KUBENAP_TEST_SOURCE_FILE: modeFile, KUBENAP_TEST_SOURCE_DELAY_MS: "1000" },
        "dist",
      );
      procs.push(p);
      return { p, port: await wakePortOf(p, 60_000), id };
    };
    const leads = (r: Replica, since = 0, ms = 30_000) =>
      r.p.waitLogSince(since, (l) => l.message === "became leader", ms).then(() => r);

    for (const name of APPS) {
      await createApp(ns, name, {
        replicas: 2,
        labels: { "kubenap/enabled": "true" },
        annotations: { "kubenap/idleAfter": "1s" },
        podAnnotations: { "pod-ready.stage.kwok.x-k8s.io/delay": "2s" },
      });
    }
    watch = await DeploymentWatch.start(ns, [
      (d) =>
        d.spec?.replicas === 0 && !asleepWith(2)(d)
          ? `at 0 replicas without state asleep and replicaCount 2: ${JSON.stringify(d.metadata?.annotations)}`
          : undefined,
    ]);
    const w = watch;
    const [a, b] = await Promise.all([start("replica-a"), start("replica-b")]);
    const first = await Promise.race([leads(a), leads(b)]);
    const second = first === a ? b : a;

    // 1. The leader dies in the middle of a sweep that will decide to sleep all three apps.
    const mark = first.p.seen;
    writeFileSync(modeFile, "idle");
    await first.p.waitLogSince(mark, (l) => l.message === "test source asked" && l.mode === "idle", 15_000);
    await first.p.kill("SIGKILL");
    const killedInSweep = Date.now();
    await leads(second, 0, LEASE_MS + TAKEOVER_SLACK_MS + 2_000);
    const takeover1 = Date.now() - killedInSweep;
    expect(takeover1).toBeLessThanOrEqual(LEASE_MS + TAKEOVER_SLACK_MS);
    await Promise.all(APPS.map((n) => w.until(n, asleepWith(2), 20_000)));
    // A replacement for the dead replica, as its Deployment would start one.
    const third = await start("replica-c");

    // 2. The new leader dies while it holds wakes: scaled up, pods not ready yet, not recorded.
    writeFileSync(modeFile, "active");
    const held = APPS.map((n) =>
      httpGet(second.port, `/wake/${ns}/${n}`).then(
        (r) => `answered ${r.status}`,
        (e: Error) => e.message,
      ),
    );
    await Promise.all(APPS.map((n) => w.until(n, (d) => d.spec?.replicas === 2, 15_000)));
    const since = third.p.seen;
    await second.p.kill("SIGKILL");
    const killedInWakes = Date.now();
    for (const r of await Promise.all(held)) expect(r).toMatch(/socket hang up|ECONNRESET|answered 307/);
    // The clients come back through the ingress, which now reaches the surviving replica.
    const retried = await Promise.all(APPS.map((n) => httpGet(third.port, `/wake/${ns}/${n}`)));
    expect(retried.map((r) => r.status)).toEqual(APPS.map(() => 307));
    await leads(third, since, LEASE_MS + TAKEOVER_SLACK_MS + 2_000);
    const takeover2 = Date.now() - killedInWakes;
    expect(takeover2).toBeLessThanOrEqual(LEASE_MS + TAKEOVER_SLACK_MS);
    // Not half-woken: at its count, ready, and recorded as awake.
    for (const n of APPS) {
      await w.until(
        n,
        (d) =>
          d.spec?.replicas === 2 &&
          (d.status?.readyReplicas ?? 0) === 2 &&
          d.metadata?.annotations?.["kubenap/state"] === "awake",
        15_000,
      );
      // Slept once (by the second leader), woken once.
      expect({ n, replicas: w.replicas.get(n) }).toEqual({ n, replicas: [2, 0, 2] });
    }
    expect(w.violations).toEqual([]);
    console.log(`leader-kill: takeover after a kill mid-sweep ${takeover1} ms, mid-wake ${takeover2} ms`);
  }, 90_000);
});
