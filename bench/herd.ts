// A thundering herd: N concurrent requests (default 1,000) for one sleeping app, sent to KubeNap's
// /wake at once as an ingress would forward them (Host of the app's Ingress, X-Original-URI). KubeNap
// runs as users run it (the built `kubenap run`, its own process) so its peak RSS is its own; an
// independent watch counts every spec.replicas change of the Deployment. Goal: scaleups=1, every
// request answered (307 once the app is ready).
//   npm run bench -- herd [requests]
// Bounded: one round; each request has a 60 s limit, the whole run a deadline.
import { Agent, request } from "node:http";
import { KEYS } from "../src/annotations/keys.js";
import { freePort } from "../test/cluster/ports.js";
import { KubenapProcess, wakePortOf } from "../test/integration/helpers/process.js";
import { createApp, createIngress, freshNamespace } from "../test/integration/helpers/kube.js";
import { ReplicaRecorder } from "../test/integration/helpers/replica-changes.js";
import { memoryOf, withPlane } from "./lib/plane.js";
import { max, percentile, summaryLine } from "./lib/stats.js";

const N = Number(process.argv[2] ?? 1000);
const REQUEST_LIMIT_MS = 60_000;

await withPlane(async (kubeconfig) => {
  const ns = await freshNamespace("bench-herd");
  const host = "herd.bench.example";
  await createApp(ns, "herd", {
    replicas: 0,
    labels: { [KEYS.enabled.key]: "true" },
    annotations: { [KEYS.replicaCount.key]: "1", [KEYS.state.key]: "asleep" },
  });
  await createIngress(ns, "herd", host, "herd");
  const kubenap = new KubenapProcess(
    [
      "--kubeconfig",
      kubeconfig,
      "--namespaces",
      ns,
      "--leader-election",
      "false",
      "--metrics-source",
      "none",
      "--wake-address",
      "127.0.0.1",
      "--wake-port",
      String(await freePort()),
      "--log-level",
      "info",
    ],
    {},
    true,
  );
  try {
    const port = await wakePortOf(kubenap);
    const pid = kubenap.child.pid ?? 0;
    const before = memoryOf(pid);
    const replicas = await ReplicaRecorder.start(ns, "herd");
    const agent = new Agent({ keepAlive: false, maxSockets: N + 10 });
    const statuses = new Map<string, number>();
    const ms: number[] = [];
    const one = (i: number): Promise<void> =>
      new Promise((resolve) => {
        const t = performance.now();
        const count = (k: string): void => {
          statuses.set(k, (statuses.get(k) ?? 0) + 1);
          ms.push(performance.now() - t);
          resolve();
        };
        const req = request(
          {
            host: "127.0.0.1",
            port,
            path: "/wake",
            agent,
            timeout: REQUEST_LIMIT_MS,
            headers: {
              Host: host,
              "X-Original-URI": `/herd/${i}`,
              "X-Code": "502",
              "X-Forwarded-For": `10.9.${i >> 8}.${i & 255}`,
            },
          },
          (res) => {
            res.resume();
            res.on("end", () => count(String(res.statusCode)));
          },
        );
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", (e) => count(`error:${(e as NodeJS.ErrnoException).code ?? e.message}`));
        req.end();
      });
    const t0 = performance.now();
    await Promise.all(Array.from({ length: N }, (_, i) => one(i)));
    const wallMs = performance.now() - t0;
    agent.destroy();
    const after = memoryOf(pid);
    // Let any late write land before counting (bounded; a second scale-up would show here).
    await replicas.until((d) => (d.status?.readyReplicas ?? 0) >= 1, 30_000).catch(() => undefined);
    replicas.stop();
    const scaleups = replicas.values.slice(1).filter((v, i) => v > (replicas.values[i] ?? 0)).length;
    const byStatus = Object.fromEntries([...statuses].sort().map(([k, v]) => [`status_${k}`, v]));
    console.log(`replicas seen: ${replicas.values.join(" → ")}`);
    console.log(
      summaryLine("herd", {
        requests: N,
        scaleups,
        replica_changes: replicas.changes,
        ...byStatus,
        p50_ms: percentile(ms, 50),
        p99_ms: percentile(ms, 99),
        max_ms: max(ms),
        wall_ms: wallMs,
        rss_before_mb: before.rssMb,
        peak_rss_mb: after.peakMb,
        goal_scaleups: 1,
      }),
    );
  } finally {
    await kubenap.kill("SIGTERM");
  }
});
