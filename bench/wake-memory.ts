// KubeNap's resident memory with APPS opted-in apps (each a Deployment at 0 replicas, a Service and an
// Ingress) plus UNRELATED Services whose EndpointSlices the endpoint controller creates, all on a real
// control plane. KubeNap runs in a child process (so the figure is its own) watching all namespaces;
// it reports RSS and heap after its informers have listed everything and a full GC. Goal: < 250 MB
// (the deploy/ memory limit is 256 Mi). Bounded: creation has a deadline, the child one too.
//
//   npm run bench -- wake-memory            (or: node --import tsx bench/wake-memory.ts [apps] [unrelated])
// Runs against KUBENAP_TEST_KUBECONFIG if set, else starts a local control plane.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { NetworkingV1Api } from "@kubernetes/client-node";
import { startPlane, type Plane } from "../test/cluster/plane.js";
import { clients, freshNamespace } from "../test/integration/helpers/kube.js";

const APPS = Number(process.argv[2] ?? 2000);
const UNRELATED = Number(process.argv[3] ?? 10_000);
const NAMESPACES = 20;
const CREATE_DEADLINE_MS = 15 * 60_000;

/** Runs fn over items with at most `width` in flight. */
async function pool<T>(items: T[], width: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const deadline = Date.now() + CREATE_DEADLINE_MS;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      if (Date.now() > deadline) throw new Error("object creation took longer than its deadline");
      const item = items[next++] as T;
      for (let attempt = 0; ; attempt++) {
        try {
          await fn(item);
          break;
        } catch (err) {
          if ((err as { code?: number }).code === 409) break;
          if (attempt >= 5) throw err;
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
}

let plane: Plane | undefined;
if (!process.env.KUBENAP_TEST_KUBECONFIG) {
  plane = await startPlane();
  process.env.KUBENAP_TEST_KUBECONFIG = plane.kubeconfig;
}
try {
  const { apps, core, kc } = clients();
  const net = kc.makeApiClient(NetworkingV1Api);
  const appNs = await Promise.all(
    Array.from({ length: NAMESPACES }, (_, i) => freshNamespace(`mem-app-${i}`)),
  );
  const otherNs = await Promise.all(
    Array.from({ length: NAMESPACES }, (_, i) => freshNamespace(`mem-other-${i}`)),
  );
  const t0 = Date.now();
  await pool(
    Array.from({ length: APPS }, (_, i) => i),
    32,
    async (i) => {
      const namespace = appNs[i % NAMESPACES] ?? "";
      const name = `app-${i}`;
      const labels = { app: name };
      await apps.createNamespacedDeployment({
        namespace,
        body: {
          metadata: {
            name,
            labels: { "kubenap/enabled": "true" },
            annotations: { "kubenap/replicaCount": "1" },
          },
          spec: {
            replicas: 0,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: { containers: [{ name: "app", image: "example.invalid/app:1" }] },
            },
          },
        },
      });
      await core.createNamespacedService({
        namespace,
        body: { metadata: { name }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } },
      });
      await net.createNamespacedIngress({
        namespace,
        body: {
          metadata: { name },
          spec: {
            rules: [
              {
                host: `${name}.example`,
                http: {
                  paths: [
                    { path: "/", pathType: "Prefix", backend: { service: { name, port: { number: 80 } } } },
                  ],
                },
              },
            ],
          },
        },
      });
    },
  );
  await pool(
    Array.from({ length: UNRELATED }, (_, i) => i),
    32,
    (i) =>
      core.createNamespacedService({
        namespace: otherNs[i % NAMESPACES] ?? "",
        body: {
          metadata: { name: `svc-${i}`, labels: { team: "other", tier: "backend" } },
          spec: {
            selector: { app: `unrelated-${i}` },
            ports: [{ name: "http", port: 80, targetPort: 8080 }],
          },
        },
      }),
  );
  const createdS = Math.round((Date.now() - t0) / 1000);
  // The endpoint controller writes one EndpointSlice per Service with a selector: wait (bounded) for them.
  const { discovery } = clients();
  const waitUntil = Date.now() + 5 * 60_000;
  let slices = 0;
  while (Date.now() < waitUntil) {
    slices =
      (await discovery.listEndpointSliceForAllNamespaces({ limit: 1 })).metadata?.remainingItemCount ?? 0;
    if (slices + 1 >= APPS + UNRELATED) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  // The child runs the compiled code, as the container does: build it from this tree first.
  await promisify(execFile)(
    process.execPath,
    ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"],
    {
      timeout: 5 * 60_000,
    },
  );
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--expose-gc", "bench/wake-memory-child.js", process.env.KUBENAP_TEST_KUBECONFIG ?? ""],
    { encoding: "utf8", timeout: 10 * 60_000, maxBuffer: 1 << 20 },
  );
  const m = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as Record<string, number>;
  console.log(
    `wake-memory: apps=${APPS} unrelated_services=${UNRELATED} endpointslices=${slices + 1} create_s=${createdS} rss_mb=${m.rssMb} heap_used_mb=${m.heapUsedMb} sync_ms=${m.syncMs} goal_rss_mb=250`,
  );
} finally {
  await plane?.stop();
}
