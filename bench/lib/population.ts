// A large cluster on the real plane, shared by the memory and scale benchmarks: APPS opted-in apps
// (Deployment, Service, Ingress each) over 20 namespaces plus UNRELATED Services (and the EndpointSlices
// the endpoint controller makes for them) over 20 others. Bounded: creation and the wait for the slices
// have deadlines.
import { NetworkingV1Api } from "@kubernetes/client-node";
import { clients, freshNamespace } from "../../test/integration/helpers/kube.js";

const NAMESPACES = 20;
const CREATE_DEADLINE_MS = 15 * 60_000;

/** Runs fn over items with at most `width` in flight (409 counts as done; other errors retried 5 times). */
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

/** What was made. */
export interface Population {
  appNamespaces: string[];
  createdS: number;
  endpointSlices: number;
}

/** Creates the population; apps get `replicas` and these extra Deployment annotations. */
export async function createPopulation(o: {
  apps: number;
  unrelated: number;
  replicas: number;
  annotations?: Record<string, string>;
  prefix: string;
}): Promise<Population> {
  const { apps, core, discovery, kc } = clients();
  const net = kc.makeApiClient(NetworkingV1Api);
  const appNs = await Promise.all(
    Array.from({ length: NAMESPACES }, (_, i) => freshNamespace(`${o.prefix}-app-${i}`)),
  );
  const otherNs = await Promise.all(
    Array.from({ length: NAMESPACES }, (_, i) => freshNamespace(`${o.prefix}-other-${i}`)),
  );
  const t0 = Date.now();
  await pool(
    Array.from({ length: o.apps }, (_, i) => i),
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
            annotations: { "kubenap/replicaCount": "1", ...o.annotations },
          },
          spec: {
            replicas: o.replicas,
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
    Array.from({ length: o.unrelated }, (_, i) => i),
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
  const waitUntil = Date.now() + 5 * 60_000;
  let slices = 0;
  while (Date.now() < waitUntil) {
    slices =
      ((await discovery.listEndpointSliceForAllNamespaces({ limit: 1 })).metadata?.remainingItemCount ?? 0) +
      1;
    if (slices >= o.apps + o.unrelated) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return { appNamespaces: appNs, createdS, endpointSlices: slices };
}
