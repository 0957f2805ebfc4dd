import { request, Agent } from "node:http";
import type { Server } from "node:http";
import type { V1Deployment, V1EndpointSlice, V1Ingress, V1Service } from "@kubernetes/client-node";
import { systemClock } from "../../../src/clock.js";
import type { EventReason, EventSink } from "../../../src/k8s/events.js";
import { createWakeApp, type WakeLimits } from "../../../src/wake/app.js";
import { WakeMetrics } from "../../../src/wake/metrics.js";
import { Readiness } from "../../../src/wake/readiness.js";
import { createWakeServer } from "../../../src/wake/server.js";
import type { TargetIndex } from "../../../src/wake/targets.js";
import { Waker } from "../../../src/wake/waker.js";
import { silentLogger } from "../helpers/logger.js";
import { DEFAULTS, world } from "./world.js";

/** A Map-backed informer cache, by namespace like client-node's (list(ns) costs that namespace only). */
export class MapCache<T extends { metadata?: { name?: string; namespace?: string } }> {
  private readonly byNs = new Map<string, Map<string, T>>();
  put(o: T): void {
    const ns = o.metadata?.namespace ?? "";
    const m = this.byNs.get(ns) ?? new Map<string, T>();
    m.set(o.metadata?.name ?? "", o);
    this.byNs.set(ns, m);
  }
  list(ns?: string): T[] {
    if (ns) return [...(this.byNs.get(ns)?.values() ?? [])];
    return [...this.byNs.values()].flatMap((m) => [...m.values()]);
  }
  get(name: string, ns?: string): T | undefined {
    return this.byNs.get(ns ?? "")?.get(name);
  }
  remove(name: string, ns: string): void {
    this.byNs.get(ns)?.delete(name);
  }
}

/** The wake app in-process on 127.0.0.1 with a fake cluster: a scale-up makes the app ready at once (or when told). */
export interface Harness {
  port: number;
  index: TargetIndex;
  scaleUps: string[];
  events: [string, EventReason, string][];
  /** Marks a Service's endpoints ready. */
  ready(namespace: string, service: string): void;
  /** Puts an app back to sleep: 0 replicas, its Services' endpoints gone. */
  sleep(namespace: string, name: string): void;
  close(): Promise<void>;
}

export const TEST_LIMITS: WakeLimits = {
  holdLimitMs: 2000,
  settleDelayMs: 0,
  loopGuardMs: 15_000,
  maxHeldPerApp: 1000,
  maxHeld: 10_000,
  maxRedirects: 5,
  redirectBackoffMs: 10,
  retryAfterSeconds: 5,
};

/** Starts the harness. `autoReady`: the app's Service is ready as soon as it is scaled up. */
export async function startHarness(
  objs: (V1Deployment | V1Service | V1Ingress)[],
  o: {
    limits?: Partial<WakeLimits>;
    autoReady?: boolean;
    statusEndpoint?: boolean;
    maxConnections?: number;
    staleWatch?: () => string | undefined;
  } = {},
): Promise<Harness> {
  const index = world(objs);
  const deployments = new MapCache<V1Deployment>();
  const slices = new MapCache<V1EndpointSlice>();
  for (const obj of objs) if ("template" in (obj.spec ?? {})) deployments.put(obj as V1Deployment);
  const readiness = new Readiness(deployments, systemClock, () => true);
  const scaleUps: string[] = [];
  const events: [string, EventReason, string][] = [];
  const sink: EventSink = {
    normal: (_d, r, m) => events.push(["Normal", r, m]),
    warning: (_d, r, m) => events.push(["Warning", r, m]),
  };
  const ready = (namespace: string, service: string): void => {
    const slice: V1EndpointSlice = {
      addressType: "IPv4",
      metadata: { namespace, name: `${service}-x`, labels: { "kubernetes.io/service-name": service } },
      endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true } }],
    };
    slices.put(slice);
    readiness.onSlice("add", slice);
  };
  const sleep = (namespace: string, name: string): void => {
    const d = deployments.get(name, namespace);
    if (!d) return;
    const asleep: V1Deployment = { ...d, spec: { ...d.spec, replicas: 0 } as V1Deployment["spec"] };
    deployments.put(asleep);
    index.onDeployment("update", asleep);
    readiness.onDeployment(asleep);
    for (const slice of slices.list(namespace)) {
      slices.remove(slice.metadata?.name ?? "", namespace);
      readiness.onSlice("delete", slice);
    }
  };
  const metrics = new WakeMetrics();
  const waker = new Waker({
    scaler: {
      annotate: (namespace, name, annotations) => {
        const dep = deployments.get(name, namespace);
        if (!dep) return Promise.reject(new Error(`no deployment ${namespace}/${name}`));
        const annotated: V1Deployment = {
          ...dep,
          metadata: { ...dep.metadata, annotations: { ...dep.metadata?.annotations, ...annotations } },
        };
        deployments.put(annotated);
        index.onDeployment("update", annotated);
        return Promise.resolve();
      },
      wake: (namespace, name, replicasFor) => {
        const dep = deployments.get(name, namespace);
        if (!dep) return Promise.reject(new Error(`no deployment ${namespace}/${name}`));
        if ((dep.spec?.replicas ?? 1) > 0) return Promise.resolve({ scaled: false, deployment: dep });
        const replicas = replicasFor(dep);
        const woken: V1Deployment = {
          ...dep,
          spec: { ...dep.spec, selector: {}, replicas } as V1Deployment["spec"],
        };
        deployments.put(woken);
        index.onDeployment("update", woken);
        scaleUps.push(`${namespace}/${name}`);
        if (o.autoReady !== false) {
          // Every Service selecting the app becomes ready (the fake "endpoints controller").
          for (const obj of objs) {
            const sel = (obj as V1Service).spec?.selector;
            const labels = dep.spec?.template?.metadata?.labels ?? {};
            if (obj.metadata?.namespace === namespace && !("template" in (obj.spec ?? {})) && sel) {
              if (Object.entries(sel).every(([k, v]) => labels[k] === v))
                ready(namespace, obj.metadata?.name ?? "");
            }
          }
        }
        return Promise.resolve({ scaled: true, deployment: woken });
      },
    },
    readiness,
    events: sink,
    clock: systemClock,
    timers: systemClock,
    logger: silentLogger(),
    metrics,
    defaults: DEFAULTS,
    sourceKinds: ["none", "prometheus"],
  });
  const limits = { ...TEST_LIMITS, ...o.limits };
  const app = createWakeApp({
    targets: index,
    waker,
    readiness,
    logger: silentLogger(),
    limits,
    metrics,
    clock: systemClock,
    timers: systemClock,
    ready: () => true,
    ...(o.statusEndpoint !== undefined && { statusEndpoint: o.statusEndpoint }),
    ...(o.staleWatch && { staleWatch: o.staleWatch }),
  });
  const server: Server = createWakeServer(app, { ...limits, maxConnections: o.maxConnections ?? 1000 });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  return {
    port: typeof addr === "object" && addr ? addr.port : 0,
    index,
    scaleUps,
    events,
    ready,
    sleep,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** One answer. */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** A request with exactly these headers (raw header pairs allowed, for duplicates), bounded in time. */
export function send(
  port: number,
  o: {
    method?: string;
    path?: string;
    headers?: Record<string, string> | [string, string][];
    body?: string;
    keepAlive?: boolean;
  },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = Array.isArray(o.headers) ? o.headers.flat() : (o.headers ?? {});
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: o.method ?? "GET",
        path: o.path ?? "/wake",
        headers,
        agent: o.keepAlive ? agent : false,
        timeout: 10_000,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(o.body);
  });
}
