// What KubeNap adds to a wake, measured against a baseline in the same run on the same plane:
//   baseline: scale a Deployment 0 → 1 through the scale subresource and wait, on an EndpointSlice
//             informer that is already running, for its first ready endpoint — the fastest a perfect
//             waker could be;
//   kubenap:  GET /wake/<ns>/<app> on a sleeping app (settle delay 0) until the 307.
// Runs against KUBENAP_TEST_KUBECONFIG if set, else starts a local control plane. Prints medians,
// p90s, the ratio and the absolute overhead. Bounded: ROUNDS rounds, each with a 30 s limit.
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

const ROUNDS = Number(process.argv[2] ?? 15);
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
      "0",
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
  const readyEndpoint = (svc: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready endpoint for ${svc} in 30 s`)), 30_000);
      const on = (s: V1EndpointSlice): void => {
        if (s.metadata?.labels?.["kubernetes.io/service-name"] !== svc) return;
        if (!(s.endpoints ?? []).some((e) => e.conditions?.ready === true)) return;
        clearTimeout(timer);
        slices.off("add", on);
        slices.off("update", on);
        resolve();
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
  const wake = async (i: number): Promise<void> => {
    const t = performance.now();
    const res = await httpGet(port, `/wake/${ns}/nap-${i}`);
    if (res.status !== 307) throw new Error(`round ${i}: expected 307, got ${res.status}: ${res.body}`);
    nap.push(performance.now() - t);
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
} finally {
  await plane?.stop();
}
