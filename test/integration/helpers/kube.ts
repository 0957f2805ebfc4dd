import { request as httpRequest } from "node:http";
import fetch, { type Response } from "node-fetch";
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type KubernetesObject,
  type V1Deployment,
  type V1EndpointSlice,
  type CoreV1Event,
} from "@kubernetes/client-node";
import { sleepAnnotations } from "../../../src/annotations/writes.js";

/** The test plane's kubeconfig (set by test/cluster/global-setup.ts). */
export function testKubeConfig(): KubeConfig {
  const path = process.env.KUBENAP_TEST_KUBECONFIG;
  if (!path)
    throw new Error("KUBENAP_TEST_KUBECONFIG is not set: the control plane did not start (see global setup)");
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

/** API clients for tests. */
export function clients(kc = testKubeConfig()) {
  return {
    kc,
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
  };
}

let counter = 0;
const created: string[] = [];

/** Deletes the namespaces this test file created (called after each file by test/integration/setup.ts). */
export async function deleteTestNamespaces(): Promise<void> {
  const { core } = clients();
  await Promise.all(created.splice(0).map((name) => core.deleteNamespace({ name }).catch(() => undefined)));
}

/** A fresh namespace for one test file (or test), with its default ServiceAccount present. */
export async function freshNamespace(prefix: string): Promise<string> {
  const { core, kc } = clients();
  const name = `${prefix}-${process.pid}-${++counter}-${Date.now().toString(36)}`.slice(0, 63);
  await core.createNamespace({ body: { metadata: { name } } });
  created.push(name);
  await waitFor(
    kc,
    `/api/v1/namespaces/${name}/serviceaccounts`,
    (sa: KubernetesObject) => sa.metadata?.name === "default",
    30_000,
  );
  return name;
}

/** Options of a test Deployment. */
/** The label that opts a Deployment in. */
export const ENABLED = { "kubenap/enabled": "true" };

/** When KubeNap recorded that it put a Deployment to sleep (ms; NaN when it did not). */
export const sleptAt = (d: V1Deployment): number =>
  new Date(d.metadata?.annotations?.["kubenap/sleptAt"] ?? "").getTime();

export interface AppSpec {
  replicas: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  service?: boolean;
  /** Pod template annotations, e.g. pod-ready.stage.kwok.x-k8s.io/delay to model a slow start. */
  podAnnotations?: Record<string, string>;
}

/** Creates a Deployment (and a Service fronting it unless service: false). */
export async function createApp(namespace: string, name: string, spec: AppSpec): Promise<V1Deployment> {
  const { apps, core } = clients();
  const podLabels = { app: name };
  const dep = await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name, labels: spec.labels ?? {}, annotations: spec.annotations ?? {} },
      spec: {
        replicas: spec.replicas,
        selector: { matchLabels: podLabels },
        template: {
          metadata: { labels: podLabels, annotations: spec.podAnnotations ?? {} },
          spec: {
            containers: [{ name: "app", image: "example.invalid/app:1", ports: [{ containerPort: 8080 }] }],
          },
        },
      },
    },
  });
  if (spec.service !== false) {
    await core.createNamespacedService({
      namespace,
      body: { metadata: { name }, spec: { selector: podLabels, ports: [{ port: 80, targetPort: 8080 }] } },
    });
  }
  return dep;
}

/**
 * Resolves with the first object at `path` (a collection) that satisfies `pred`, looking at the
 * current list first and then at watch events. Rejects after timeoutMs with what it last saw.
 */
export function waitFor<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  pred: (obj: T) => boolean,
  timeoutMs: number,
  query: Record<string, string> = {},
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let last: T | undefined;
    let req: AbortController | undefined;
    let settled = false;
    const finish = (err: Error | undefined, obj?: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req?.abort();
      if (err) reject(err);
      else resolve(obj as T);
    };
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `timed out after ${timeoutMs} ms waiting on ${path}; last seen: ${JSON.stringify(last?.metadata?.name)} ${JSON.stringify((last as { spec?: unknown })?.spec ?? "")} ${JSON.stringify((last as { status?: unknown })?.status ?? "")}`.slice(
              0,
              2000,
            ),
          ),
        ),
      timeoutMs,
    );
    const start = async (): Promise<void> => {
      const list = await rawList<T>(kc, path, query);
      for (const item of list.items) {
        last = item;
        if (pred(item)) return finish(undefined, item);
      }
      const watch = new Watch(kc);
      req = await watch.watch(
        path,
        { ...query, resourceVersion: list.metadata?.resourceVersion ?? "", allowWatchBookmarks: "false" },
        (type: string, obj: T) => {
          if (type === "DELETED" || type === "BOOKMARK") return;
          last = obj;
          if (pred(obj)) finish(undefined, obj);
        },
        (err: unknown) => {
          if (!settled) void start().catch((e: unknown) => finish(e as Error));
          void err;
        },
      );
      if (settled) req.abort();
    };
    start().catch((e: unknown) => finish(e as Error));
  });
}

async function rawList<T>(
  kc: KubeConfig,
  path: string,
  query: Record<string, string>,
): Promise<{ items: T[]; metadata?: { resourceVersion?: string } }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("no cluster in kubeconfig");
  const url = new URL(cluster.server + path);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const res = await kubeFetch(kc, url.toString());
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return (await res.json()) as { items: T[]; metadata?: { resourceVersion?: string } };
}

/** GET against the API server with the kubeconfig's TLS and credentials (global fetch ignores the agent). */
export async function kubeFetch(kc: KubeConfig, url: string): Promise<Response> {
  const init = await kc.applyToFetchOptions({});
  return fetch(url, init);
}

/** Waits for a Deployment matching pred. */
export function waitForDeployment(
  namespace: string,
  name: string,
  pred: (d: V1Deployment) => boolean,
  timeoutMs = 30_000,
): Promise<V1Deployment> {
  return waitFor<V1Deployment>(
    testKubeConfig(),
    `/apis/apps/v1/namespaces/${namespace}/deployments`,
    (d) => d.metadata?.name === name && pred(d),
    timeoutMs,
    {
      fieldSelector: `metadata.name=${name}`,
    },
  );
}

/** Waits for an Event with this reason on the named Deployment. */
export function waitForEvent(
  namespace: string,
  name: string,
  reason: string,
  timeoutMs = 30_000,
): Promise<CoreV1Event> {
  return waitFor<CoreV1Event>(
    testKubeConfig(),
    `/api/v1/namespaces/${namespace}/events`,
    (e) => e.involvedObject?.name === name && e.reason === reason,
    timeoutMs,
  );
}

/** Ready endpoints of a Service right now. */
export async function readyEndpoints(namespace: string, service: string): Promise<number> {
  const { discovery } = clients();
  const list = await discovery.listNamespacedEndpointSlice({
    namespace,
    labelSelector: `kubernetes.io/service-name=${service}`,
  });
  return list.items
    .flatMap((s: V1EndpointSlice) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false).length;
}

/** Events with a reason on a Deployment right now. */
export async function eventsFor(namespace: string, name: string, reason?: string): Promise<CoreV1Event[]> {
  const { core } = clients();
  const list = await core.listNamespacedEvent({ namespace });
  return list.items.filter((e) => e.involvedObject?.name === name && (!reason || e.reason === reason));
}

/** Creates an Ingress routing host (all paths) to a Service. */
export async function createIngress(
  namespace: string,
  name: string,
  host: string,
  service: string,
): Promise<void> {
  const { kc } = clients();
  const { NetworkingV1Api } = await import("@kubernetes/client-node");
  await kc.makeApiClient(NetworkingV1Api).createNamespacedIngress({
    namespace,
    body: {
      metadata: { name },
      spec: {
        rules: [
          {
            host,
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: service, port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    },
  });
}

/** A plain HTTP answer. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET with exactly the headers given (fetch refuses to set Host); a fresh connection per request. */
export function httpGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Resolves once the Service's EndpointSlices list a ready endpoint (what KubeNap's readiness reads). */
export async function waitForReadyEndpoints(
  namespace: string,
  service: string,
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor<V1EndpointSlice>(
    testKubeConfig(),
    `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
    (s) =>
      s.metadata?.labels?.["kubernetes.io/service-name"] === service &&
      (s.endpoints ?? []).some((e) => e.conditions?.ready === true),
    timeoutMs,
  );
}

/**
 * Puts an app of 1 replica to sleep as the monitor does: replicas 0 and the sleep annotations
 * (src/annotations/writes.ts) in one update. Resolves once the API server took it.
 */
export async function sleepAsMonitor(namespace: string, name: string): Promise<void> {
  const { annotations } = sleepAnnotations(1, { replicaCountRecorded: false }, Date.now());
  await clients().apps.patchNamespacedDeployment(
    { namespace, name, body: { metadata: { annotations }, spec: { replicas: 0 } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}
