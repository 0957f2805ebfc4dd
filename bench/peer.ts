// KubeNap against a peer, Sablier v1.16.2, on the same plane and the same sleeping Deployment: the time
// from the wake request to the "ready" answer — Sablier's blocking strategy
// (GET /api/strategies/blocking → 200 once the Deployment is ready) vs KubeNap's /wake (→ 307 once the
// Service has a ready endpoint) — alternated round by round (ABBA), once with pods ready at once and
// once with pods that take 2 s to become Ready (kwok's pod-ready stage delay). Both run as their own
// processes; KubeNap is the built `kubenap run` with settle delay 0 (the pause for the ingress is not
// part of telling readiness; Sablier has none), Sablier polls readiness every --refresh (default
// 100ms; its own default is 5s).
//   npm run bench -- peer [rounds] [--refresh=100ms]
// Bounded: rounds per variant (default 15), each request 60 s at most.
import { KEYS } from "../src/annotations/keys.js";
import { freePort } from "../test/cluster/ports.js";
import { KubenapProcess, wakePortOf } from "../test/integration/helpers/process.js";
import { createApp, freshNamespace, httpGet } from "../test/integration/helpers/kube.js";
import { startSablier } from "./peers/sablier.js";
import { withPlane } from "./lib/plane.js";
import { sleepApp, until } from "./lib/sleep.js";
import { median, percentile, ratio, summaryLine } from "./lib/stats.js";

const args = process.argv.slice(2);
const ROUNDS = Number(args.find((a) => /^\d+$/.test(a)) ?? 15);
const REFRESH = args.find((a) => a.startsWith("--refresh="))?.slice("--refresh=".length) ?? "100ms";

await withPlane(async (kubeconfig) => {
  const ns = await freshNamespace("bench-peer");
  const variants = [
    { app: "fast", podAnnotations: {} as Record<string, string> },
    { app: "slow", podAnnotations: { "pod-ready.stage.kwok.x-k8s.io/delay": "2s" } },
  ];
  for (const v of variants) {
    await createApp(ns, v.app, {
      replicas: 0,
      labels: { [KEYS.enabled.key]: "true" },
      annotations: { [KEYS.replicaCount.key]: "1", [KEYS.state.key]: "asleep" },
      podAnnotations: v.podAnnotations,
    });
  }
  const kubenap = new KubenapProcess(
    [
      ...["--kubeconfig", kubeconfig, "--namespaces", ns, "--leader-election", "false"],
      ...["--metrics-source", "none", "--sweep-interval", "1h", "--settle-delay", "0"],
      ...["--wake-address", "127.0.0.1", "--wake-port", String(await freePort()), "--log-level", "info"],
    ],
    {},
    true,
  );
  const sablier = await startSablier(ns, REFRESH);
  const fields: Record<string, number | string> = { rounds: ROUNDS, sablier_refresh: REFRESH };
  try {
    const port = await wakePortOf(kubenap);
    for (const v of variants) {
      const instance = sablier.name(ns, v.app);
      const times: Record<"kubenap" | "sablier", number[]> = { kubenap: [], sablier: [] };
      const asleep = async (): Promise<void> => {
        await sleepApp(ns, v.app, port);
        // Sablier drops its session when it sees the Deployment scaled to 0 (its informer).
        await until(`Sablier forgets ${instance}`, async () => !(await sablier.hasSession(instance)));
      };
      const wake = {
        kubenap: async (): Promise<void> => {
          const t = performance.now();
          const r = await httpGet(port, `/wake/${ns}/${v.app}`);
          if (r.status !== 307) throw new Error(`KubeNap answered ${r.status}: ${r.body.slice(0, 200)}`);
          times.kubenap.push(performance.now() - t);
        },
        sablier: async (): Promise<void> => {
          const t = performance.now();
          const r = await httpGet(
            sablier.port,
            `/api/strategies/blocking?names=${instance}&timeout=60s&session_duration=1h`,
          );
          if (r.status !== 200) throw new Error(`Sablier answered ${r.status}: ${r.body.slice(0, 300)}`);
          times.sablier.push(performance.now() - t);
        },
      };
      for (let i = 0; i < ROUNDS; i++) {
        const order: ("kubenap" | "sablier")[] =
          i % 2 === 0 ? ["kubenap", "sablier"] : ["sablier", "kubenap"];
        for (const who of order) {
          await asleep();
          await wake[who]();
        }
      }
      const k = median(times.kubenap);
      const s = median(times.sablier);
      console.log(
        `peer ${v.app}: kubenap median ${k.toFixed(1)} ms p90 ${percentile(times.kubenap, 90).toFixed(1)} ms; sablier median ${s.toFixed(1)} ms p90 ${percentile(times.sablier, 90).toFixed(1)} ms`,
      );
      const p = v.app === "fast" ? "" : "slow_";
      fields[`${p}kubenap_p50_ms`] = k;
      fields[`${p}sablier_p50_ms`] = s;
      fields[`${p}kubenap_p90_ms`] = percentile(times.kubenap, 90);
      fields[`${p}sablier_p90_ms`] = percentile(times.sablier, 90);
      fields[`${p}ratio`] = ratio(k, s);
    }
    console.log(summaryLine("peer", { ...fields, pod_ready_delay_slow: "2s", settle_delay_ms: 0 }));
  } finally {
    await sablier.stop();
    await kubenap.kill("SIGTERM");
  }
});
