// What KubeNap adds to a wake, measured against a baseline in the same run on the same plane:
//   baseline: scale a Deployment 0 → 1 through the scale subresource and wait, on an EndpointSlice
//             informer that is already running, for its first ready endpoint — the fastest a perfect
//             waker could be;
//   kubenap:  GET /wake/<ns>/<app> on a sleeping app (settle delay 0) until the 307.
// KubeNap's own added latency: for each KubeNap wake, an independent EndpointSlice watch (this process's,
// not KubeNap's) stamps the first ready endpoint; added = the 307 at the client minus that stamp, minus
// the settle delay (0 here, so nothing is subtracted: with the default 1 s it would add 1 s on top).
// Then, unless --no-ingress, request → final 200 through each real ingress (bench/lib/ingress-wakes.ts,
// the e2e world: needs root), --ingress-wakes=N each (default: ROUNDS).
// Runs against KUBENAP_TEST_KUBECONFIG if set, else starts a local control plane. Prints medians,
// p90s, the ratio and the absolute overhead, then one summary line `wake: …`. Goals: ratio ≤ 1.15,
// added_p99_ms ≤ 50. Bounded: ROUNDS rounds (default 30), each with a 30 s limit.
//   npm run bench -- wake [rounds] [--no-ingress] [--ingress-wakes=N] [--ingresses=nginx,traefik,envoy]
import { hostname } from "node:os";
import {
  DiscoveryV1Api,
  makeInformer,
  setHeaderOptions,
  type V1EndpointSlice,
} from "@kubernetes/client-node";
import { loadConfig } from "../src/config/config.js";
import { createLogger } from "../src/log.js";
import { startRuntime } from "../src/main.js";
import { startPlane, type Plane } from "../test/cluster/plane.js";
import { freePort } from "../test/cluster/ports.js";
import {
  clients,
  createApp,
  freshNamespace,
  httpGet,
  waitForDeployment,
} from "../test/integration/helpers/kube.js";
import { ManualSource } from "../test/integration/helpers/sources.js";
import { ingressWakes } from "./lib/ingress-wakes.js";
import { percentile, summaryLine } from "./lib/stats.js";

const cli = process.argv.slice(2);
const ROUNDS = Number(cli.find((a) => /^\d+$/.test(a)) ?? 30);
const opt = (k: string): string | undefined => cli.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3);
const INGRESS_WAKES = Number(opt("ingress-wakes") ?? ROUNDS);
const INGRESS_NAMES = (opt("ingresses") ?? "nginx,traefik,envoy").split(",").filter(Boolean);
const SETTLE_MS = 0;
let fields: Record<string, number | string> = {};
let plane: Plane | undefined;
if (!process.env.KUBENAP_TEST_KUBECONFIG) {
  plane = await startPlane();
  process.env.KUBENAP_TEST_KUBECONFIG = plane.kubeconfig;
}
try {
  const ns = await freshNamespace("bench");
  const { apps, kc } = clients();
  const port = await freePort();
  const cfg = loadConfig({
    argv: [
      "--kubeconfig",
      process.env.KUBENAP_TEST_KUBECONFIG ?? "",
      "--namespaces",
      ns,
      "--leader-election",
      "false",
      "--sweep-interval",
      "1h",
      "--wake-port",
      String(port),
      "--wake-address",
      "127.0.0.1",
      "--settle-delay",
      `${SETTLE_MS}ms`,
      "--log-level",
      "error",
    ],
    env: {},
    hostname: hostname(),
    pid: process.pid,
  });
  const runtime = await startRuntime(
    cfg,
    kc,
    createLogger({ format: "json", level: process.env.BENCH_LOG ?? "error" }),
    {
      sources: new Map([["none", new ManualSource()]]),
    },
  );
  // The baseline gets what KubeNap has: an informer on EndpointSlices that is already running.
  const slices = makeInformer<V1EndpointSlice>(
    kc,
    `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
    () => kc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: ns }),
  );
  await slices.start();
  /** Resolves with performance.now() at the first event showing a ready endpoint of the Service. */
  const readyEndpoint = (svc: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready endpoint for ${svc} in 30 s`)), 30_000);
      const on = (s: V1EndpointSlice): void => {
        if (s.metadata?.labels?.["kubernetes.io/service-name"] !== svc) return;
        if (!(s.endpoints ?? []).some((e) => e.conditions?.ready === true)) return;
        const at = performance.now();
        clearTimeout(timer);
        slices.off("add", on);
        slices.off("update", on);
        resolve(at);
      };
      slices.on("add", on);
      slices.on("update", on);
    });

  const base: number[] = [];
  const nap: number[] = [];
  const annot: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    await createApp(ns, `base-${i}`, { replicas: 0 });
    await createApp(ns, `annot-${i}`, { replicas: 0 });
    await createApp(ns, `nap-${i}`, {
      replicas: 0,
      labels: { "kubenap/enabled": "true" },
      annotations: { "kubenap/replicaCount": "1" },
    });
  }
  // Let the controllers finish with the new objects, so neither side pays for their creation.
  for (let i = 0; i < ROUNDS; i++) {
    for (const name of [`base-${i}`, `annot-${i}`, `nap-${i}`]) {
      await waitForDeployment(ns, name, (d) => d.status?.observedGeneration === d.metadata?.generation);
    }
  }
  const scaleUp = async (i: number): Promise<void> => {
    const t = performance.now();
    const seen = readyEndpoint(`base-${i}`);
    await apps.patchNamespacedDeploymentScale(
      { name: `base-${i}`, namespace: ns, body: { spec: { replicas: 1 } } },
      setHeaderOptions("Content-Type", "application/merge-patch+json"),
    );
    await seen;
    base.push(performance.now() - t);
  };
  // The same single update KubeNap makes (replicas and annotations together), without KubeNap.
  const patchWithAnnotations = async (i: number): Promise<void> => {
    const t = performance.now();
    const seen = readyEndpoint(`annot-${i}`);
    await apps.patchNamespacedDeployment(
      {
        name: `annot-${i}`,
        namespace: ns,
        body: {
          metadata: { annotations: { "kubenap/state": "awake", "kubenap/wokeAt": new Date().toISOString() } },
          spec: { replicas: 1 },
        },
      },
      setHeaderOptions("Content-Type", "application/merge-patch+json"),
    );
    await seen;
    annot.push(performance.now() - t);
  };
  const added: number[] = [];
  const wake = async (i: number): Promise<void> => {
    const seen = readyEndpoint(`nap-${i}`);
    const t = performance.now();
    const res = await httpGet(port, `/wake/${ns}/nap-${i}`);
    const answered = performance.now();
    if (res.status !== 307) throw new Error(`round ${i}: expected 307, got ${res.status}: ${res.body}`);
    nap.push(answered - t);
    added.push(answered - (await seen) - SETTLE_MS);
  };
  for (let i = 0; i < ROUNDS; i++) {
    const order = [scaleUp, patchWithAnnotations, wake];
    for (let k = 0; k < order.length; k++) await order[(k + i) % order.length]?.(i);
  }
  await runtime.stop();
  await slices.stop();
  const q = (xs: number[], p: number): number =>
    [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
  const f = (n: number): string => `${n.toFixed(1)} ms`;
  console.log(
    `wake latency, ${ROUNDS} rounds (kwok pods are ready at once: this is all control-plane and KubeNap time)`,
  );
  console.log(
    `  baseline (scale + watch first ready endpoint): median ${f(q(base, 0.5))}  p90 ${f(q(base, 0.9))}`,
  );
  console.log(
    `  one update with replicas + annotations (no KubeNap): median ${f(q(annot, 0.5))}  p90 ${f(q(annot, 0.9))}`,
  );
  console.log(
    `  kubenap  (GET /wake → 307, settle delay 0):    median ${f(q(nap, 0.5))}  p90 ${f(q(nap, 0.9))}`,
  );
  console.log(
    `  KubeNap's own time (kubenap minus the same update without it, median): ${f(q(nap, 0.5) - q(annot, 0.5))}`,
  );
  console.log(`  ratio kubenap/baseline (median): ${(q(nap, 0.5) / q(base, 0.5)).toFixed(2)}`);
  console.log(`  overhead (median difference):    ${f(q(nap, 0.5) - q(base, 0.5))}`);
  console.log(
    `  (annotations written with the replicas, as KubeNap does, cost: ${f(q(annot, 0.5) - q(base, 0.5))})`,
  );
  console.log(
    `  added (first ready endpoint seen by an independent watch → 307): median ${f(percentile(added, 50))}  p99 ${f(percentile(added, 99))}`,
  );
  const floor = q(base, 0.5);
  fields = {
    rounds: ROUNDS,
    ratio: q(nap, 0.5) / floor,
    floor_p50_ms: floor,
    kubenap_p50_ms: q(nap, 0.5),
    kubenap_p90_ms: q(nap, 0.9),
    added_p50_ms: percentile(added, 50),
    added_p99_ms: percentile(added, 99),
    added_max_ms: percentile(added, 100),
    settle_delay_ms: SETTLE_MS,
  };
} finally {
  await plane?.stop();
}
let ingressFailed = false;
if (!cli.includes("--no-ingress")) {
  // The plane part's figures are printed even when the ingress part fails (e.g. the world cannot start).
  const results = await ingressWakes(INGRESS_NAMES, INGRESS_WAKES).catch((err: unknown) => {
    console.log(`  ingress part failed: ${String(err).slice(0, 500)}`);
    ingressFailed = true;
    fields.ingress = "failed";
    return [];
  });
  for (const r of results) {
    console.log(
      `  ${r.ingress}: ${r.final200}/${r.wakes} ended on the app's 200; request → final 200 p50 ${r.p50Ms.toFixed(0)} ms p99 ${r.p99Ms.toFixed(0)} ms`,
    );
    for (const b of r.bad.slice(0, 5)) console.log(`    not the app's 200: ${b}`);
    Object.assign(fields, {
      [`${r.ingress}_final200`]: `${r.final200}/${r.wakes}`,
      [`${r.ingress}_p50_ms`]: r.p50Ms,
      [`${r.ingress}_p99_ms`]: r.p99Ms,
    });
  }
}
console.log(summaryLine("wake", { ...fields, goal_ratio: 1.15, goal_added_p99_ms: 50 }));
process.exit(ingressFailed ? 1 : 0);
