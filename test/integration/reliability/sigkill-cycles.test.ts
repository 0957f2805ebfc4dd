// Reliability (issue 12, 1): KubeNap SIGKILLed at random points while 5 apps go through 20
// sleep/wake cycles. The seed is printed; KUBENAP_CHAOS_SEED=<seed> repeats the same kill points.
import { clients, createApp, freshNamespace } from "../helpers/kube.js";
import { asleepWith, DeploymentWatch, seededRandom } from "./helpers/deployments.js";
import { fastRunArgs, Supervised } from "./helpers/supervised.js";

const SEED = Number(process.env.KUBENAP_CHAOS_SEED ?? Date.now() % 1_000_000);
const CYCLES = 20;
const APPS = [
  { name: "a0", count: 1 },
  { name: "a1", count: 2 },
  { name: "a2", count: 3 },
  { name: "a3", count: 1 },
  { name: "a4", count: 2 },
];
/** SIGKILLs during the cycles (a restart costs seconds on a loaded 2-core machine). */
const KILLS = 5;
/** Each lands at a random point within this long after its cycle starts (a cycle takes ~1.5 s). */
const KILL_WITHIN_MS = 2_000;

describe("KubeNap SIGKILLed at random points during sleep/wake cycles", () => {
  let kubenap: Supervised | undefined;
  let watch: DeploymentWatch | undefined;
  afterEach(async () => {
    watch?.stop();
    await kubenap?.stop();
    await Promise.all(kubenap?.all.map((p) => p.kill()) ?? []);
  });

  it("leaves every app awake or asleep with its restore count, and no wake is lost once KubeNap is back", async () => {
    console.log(`sigkill-cycles: seed ${SEED} (repeat with KUBENAP_CHAOS_SEED=${SEED})`);
    const random = seededRandom(SEED);
    const ns = await freshNamespace("chaos");
    const countOf = new Map(APPS.map((a) => [a.name, a.count]));
    // Checked on every state any app goes through, whenever KubeNap died.
    watch = await DeploymentWatch.start(ns, [
      (d) => {
        const count = countOf.get(d.metadata?.name ?? "") ?? -1;
        const r = d.spec?.replicas;
        if (r === 0 && !asleepWith(count)(d))
          return `at 0 replicas without state asleep and replicaCount ${count}: ${JSON.stringify(d.metadata?.annotations)}`;
        if (r !== 0 && r !== count) return `at ${r} replicas, neither 0 nor its count ${count}`;
        return undefined;
      },
    ]);
    for (const a of APPS) {
      await createApp(ns, a.name, {
        replicas: a.count,
        labels: { "kubenap/enabled": "true" },
        annotations: { "kubenap/idleAfter": "1s" },
      });
    }
    const w = watch;
    const k = new Supervised((port) =>
      fastRunArgs(ns, port, ["--leader-election", "false", "--log-level", "info"]),
    );
    kubenap = k;
    await k.start();

    // The chaos: SIGKILL at a random point of KILLS random cycles (a sweep deciding, a sleep being
    // written, a wake being held or recorded, a start-up), then a fresh process at once.
    const killCycles = new Set<number>();
    while (killCycles.size < KILLS) killCycles.add(Math.floor(random() * CYCLES));
    const kills: number[] = [];
    const restarts: Promise<void>[] = [];
    const timers: NodeJS.Timeout[] = [];
    /** One per kill scheduled: resolves once that kill has happened (a late one lands after the cycles). */
    const killed: Promise<void>[] = [];
    const started = Date.now();
    const killDuring = (cycle: number): void => {
      if (!killCycles.has(cycle)) return;
      const at = Math.round(random() * KILL_WITHIN_MS);
      killed.push(
        new Promise((resolve) =>
          timers.push(
            setTimeout(() => {
              kills.push(Date.now() - started);
              restarts.push(k.restart());
              resolve();
            }, at),
          ),
        ),
      );
    };

    let interruptedWakes = 0;
    const wakeOne = async (name: string, count: number): Promise<void> => {
      const mark = w.mark(name);
      const res = await k.request(`/wake/${ns}/${name}`, {}, 40_000);
      interruptedWakes += res.interrupted;
      expect({ name, status: res.status }).toEqual({ name, status: 307 });
      // A 307 means KubeNap saw a ready endpoint; the Deployment went to its count (not another).
      await w.until(name, (d) => d.spec?.replicas === count, 10_000, mark);
    };
    const cycleMs: number[] = [];
    try {
      for (let c = 0; c < CYCLES; c++) {
        const t0 = Date.now();
        killDuring(c);
        await Promise.all(APPS.map((a) => w.until(a.name, asleepWith(a.count), 60_000)));
        await Promise.all(APPS.map((a) => wakeOne(a.name, a.count)));
        cycleMs.push(Date.now() - t0);
      }
      // A kill drawn for one of the last cycles may come after they ended: every drawn kill happens.
      await Promise.all(killed);
    } finally {
      console.log(`sigkill-cycles: cycle times ${cycleMs.join(",")} ms; kills at ${kills.join(",")} ms`);
      timers.forEach(clearTimeout);
      await Promise.all(restarts);
    }
    // One last kill at a random point of the next sleep phase, and nothing runs afterwards.
    await new Promise((r) => setTimeout(r, Math.round(random() * 1_500)));
    await k.stop();
    kills.push(Date.now() - started);
    console.log(
      `sigkill-cycles: seed ${SEED}, ${CYCLES} cycles x ${APPS.length} apps in ${Date.now() - started} ms, ${kills.length} SIGKILLs at ${kills.join(",")} ms, ${interruptedWakes} wake requests cut by a kill and retried`,
    );

    for (const a of APPS) {
      const d = await clients().apps.readNamespacedDeployment({ name: a.name, namespace: ns });
      // The watch has checked every state up to this one.
      await w.until(a.name, (x) => x.metadata?.resourceVersion === d.metadata?.resourceVersion, 10_000);
      const awake = d.spec?.replicas === a.count;
      expect({ name: a.name, awakeOrAsleepWithCount: awake || asleepWith(a.count)(d) }).toEqual({
        name: a.name,
        awakeOrAsleepWithCount: true,
      });
      // Every cycle put each app to sleep once and woke it once (the watch saw every change).
      expect(w.changesTo(a.name, (r) => r === 0)).toBeGreaterThanOrEqual(CYCLES);
      expect(w.changesTo(a.name, (r) => r === a.count)).toBeGreaterThanOrEqual(CYCLES);
    }
    expect(w.violations).toEqual([]);
    expect(kills).toHaveLength(KILLS + 1);
  }, 120_000); // ~35 s here alone, 60–80 s in a CI lane (2 cores shared by seven lanes)
});
