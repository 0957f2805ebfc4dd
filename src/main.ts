import type { Server } from "node:http";
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  createConfiguration,
  KubeConfig,
  NetworkingV1Api,
  type V1Deployment,
  type V1EndpointSlice,
  type V1Ingress,
  type V1Service,
} from "@kubernetes/client-node";
import type { Logger } from "winston";
import { KEYS } from "./annotations/keys.js";
import type { PolicyDefaults } from "./annotations/policy.js";
import { systemClock, type Clock, type Timers } from "./clock.js";
import type { Config } from "./config/config.js";
import { makeClient } from "./k8s/clients.js";
import { DeploymentScaler } from "./k8s/deployments.js";
import { gatewayWatches } from "./k8s/gateway-watch.js";
import { HealthReport } from "./k8s/health.js";
import { defaultLeaseNamespace } from "./k8s/lease-namespace.js";
import { EventRecorder } from "./k8s/events.js";
import { ApiHpaLookup } from "./k8s/hpa.js";
import { LeaderElector } from "./k8s/leader.js";
import { WatchSet } from "./k8s/watch-set.js";
import { SourceErrorCounter } from "./metrics-sources/counted.js";
import { createSources } from "./metrics-sources/index.js";
import type { Closable, TrafficMetricsSource } from "./metrics-sources/types.js";
import { Monitor } from "./monitor/monitor.js";
import { createWakeApp } from "./wake/app.js";
import { WakeMetrics } from "./wake/metrics.js";
import { Readiness } from "./wake/readiness.js";
import { pruneCached } from "./wake/prune.js";
import { createWakeServer } from "./wake/server.js";
import { TargetIndex } from "./wake/targets.js";
import { Waker } from "./wake/waker.js";

/** An in-place pruner as an informer transform. */
const pruned =
  <T>(prune: (obj: T) => void) =>
  (obj: T): T => (prune(obj), obj);

/** Loads the kubeconfig: an explicit path, else in-cluster, else $KUBECONFIG / ~/.kube/config. */
export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

/** Overrides for tests: sources, clock. Production passes none. */
export interface RuntimeOverrides {
  sources?: ReadonlyMap<string, TrafficMetricsSource>;
  clock?: Clock & Timers;
}

/** A running KubeNap: the monitor (when leading) and the wake handler. */
export interface Runtime {
  monitor: Monitor;
  leader: LeaderElector | undefined;
  server: Server | undefined;
  /** Port the wake handler listens on; undefined when it is disabled (--wake-port 0). */
  wakePort: number | undefined;
  /** First step of a graceful shutdown: /readyz fails while requests are still served (--shutdown-delay). */
  drain(): Promise<void>;
  /** Stops the monitor (then releases the Lease), answers held wakes 503 + Retry-After, closes. */
  stop(): Promise<void>;
}

/** Builds every real client and component from the configuration, starts them, and returns the handle. */
export async function startRuntime(
  cfg: Readonly<Config>,
  kc: KubeConfig,
  logger: Logger,
  o: RuntimeOverrides = {},
): Promise<Runtime> {
  const clock = o.clock ?? systemClock;
  const client = <T>(type: new (config: ReturnType<typeof createConfiguration>) => T): T =>
    makeClient(kc, type, cfg.apiTimeoutMs);
  const apps = client(AppsV1Api);
  const core = client(CoreV1Api);
  const discovery = client(DiscoveryV1Api);
  const networking = client(NetworkingV1Api);
  const defaults: PolicyDefaults = {
    idleAfterMs: cfg.idleAfterMs,
    wakeTimeoutMs: cfg.wakeTimeoutMs,
    proxy: cfg.proxy,
    metricsSource: cfg.metricsSource,
  };
  const ns = cfg.namespaces;
  const common = {
    kc,
    namespaces: ns,
    logger: logger.child({ component: "informer" }),
    clock,
    watchTimeoutMs: cfg.watchTimeoutMs,
  };
  const scoped = (group: string, resource: string) => (n: string | undefined) =>
    n ? `${group}/namespaces/${n}/${resource}` : `${group}/${resource}`;
  const deployments = new WatchSet<V1Deployment>({
    ...common,
    resource: "deployments",
    path: scoped("/apis/apps/v1", "deployments"),
    list: (n, page) =>
      n
        ? apps.listNamespacedDeployment({ namespace: n, labelSelector: `${KEYS.enabled.key}=true`, ...page })
        : apps.listDeploymentForAllNamespaces({ labelSelector: `${KEYS.enabled.key}=true`, ...page }),
    labelSelector: `${KEYS.enabled.key}=true`,
  });
  const services = new WatchSet<V1Service>({
    ...common,
    resource: "services",
    path: scoped("/api/v1", "services"),
    list: (n, page) =>
      n ? core.listNamespacedService({ namespace: n, ...page }) : core.listServiceForAllNamespaces(page),
    transform: pruned(pruneCached.service),
  });
  const ingresses = new WatchSet<V1Ingress>({
    ...common,
    resource: "ingresses",
    path: scoped("/apis/networking.k8s.io/v1", "ingresses"),
    list: (n, page) =>
      n
        ? networking.listNamespacedIngress({ namespace: n, ...page })
        : networking.listIngressForAllNamespaces(page),
    transform: pruned(pruneCached.ingress),
  });
  const slices = new WatchSet<V1EndpointSlice>({
    ...common,
    resource: "endpointslices",
    path: scoped("/apis/discovery.k8s.io/v1", "endpointslices"),
    list: (n, page) =>
      n
        ? discovery.listNamespacedEndpointSlice({ namespace: n, ...page })
        : discovery.listEndpointSliceForAllNamespaces(page),
    transform: pruned(pruneCached.endpointSlice),
  });
  const metrics = new WakeMetrics(true);
  // Every configured source, built before anything starts so a bad option stops start-up at once.
  const built = o.sources ?? createSources({ config: cfg, clock, logger, ingresses });
  const errorCounter = new SourceErrorCounter(metrics.registry);
  const sources = new Map([...built].map(([kind, s]) => [kind, errorCounter.wrap(s)]));
  const sourceKinds = [...sources.keys()];
  const gateway = await gatewayWatches(common, cfg.apiTimeoutMs);
  const informers = [
    deployments,
    services,
    ingresses,
    slices,
    ...(gateway ? [gateway.routes, gateway.gateways] : []),
  ];
  const synced = (): boolean => informers.every((i) => i.synced);
  // Readiness counts ready endpoints from the slice events: a question never lists slices.
  const readiness = new Readiness(deployments, clock, synced);
  slices.onChange((t, s) => readiness.onSlice(t, s));
  deployments.onChange((_t, d) => readiness.onDeployment(d));

  const events = new EventRecorder(core, clock, logger.child({ component: "events" }), cfg.identity);
  const scaler = new DeploymentScaler(apps);
  let leader: LeaderElector | undefined;
  const monitor = new Monitor({
    deployments,
    sources,
    scaler,
    events,
    clock,
    timers: clock,
    logger,
    defaults,
    hpas: new ApiHpaLookup(client(AutoscalingV2Api), ns),
    sweepIntervalMs: cfg.sweepIntervalMs,
    sourceTimeoutMs: cfg.sourceTimeoutMs,
    canAct: () => (leader ? leader.isLeaderNow() : true),
  });
  const waker = new Waker({
    scaler,
    readiness,
    events,
    clock,
    timers: clock,
    logger,
    metrics,
    defaults,
    sourceKinds,
    lookup: (namespace, name) => deployments.get(name, namespace),
  });
  const targets = new TargetIndex({ defaults, sourceKinds, ingressClass: cfg.ingressClass });
  deployments.onChange((t, d) => targets.onDeployment(t, d));
  services.onChange((t, s) => targets.onService(t, s));
  ingresses.onChange((t, i) => targets.onIngress(t, i));
  gateway?.routes.onChange((t, r) => targets.onHTTPRoute(t, r));
  gateway?.gateways.onChange((t, g) => targets.onGateway(t, g));

  const health = new HealthReport(informers, () => leader?.problem, cfg.unhealthyAfterMs, logger);
  health.register(metrics.registry);
  const shutdown = new AbortController();
  let draining = false;
  let server: Server | undefined;
  let wakePort: number | undefined;
  if (cfg.wakePort > 0) {
    const app = createWakeApp({
      targets,
      waker,
      readiness,
      logger,
      metrics,
      clock,
      timers: clock,
      ready: synced,
      readyz: () => health.readyz(draining || shutdown.signal.aborted),
      staleWatch: () => health.failingNow(),
      shutdown: shutdown.signal,
      limits: {
        holdLimitMs: cfg.holdLimitMs,
        settleDelayMs: cfg.settleDelayMs,
        loopGuardMs: cfg.loopGuardMs,
        maxHeldPerApp: cfg.maxHeldPerApp,
        retryAfterSeconds: cfg.retryAfter,
        maxHeld: cfg.maxHeld,
        maxRedirects: cfg.maxRedirects,
        redirectBackoffMs: cfg.redirectBackoffMs,
      },
      statusEndpoint: cfg.statusEndpoint,
    });
    server = createWakeServer(app, cfg);
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server?.once("error", reject);
      server?.listen(cfg.wakePort, cfg.wakeAddress, () => resolve());
    });
    const addr = server.address();
    wakePort = typeof addr === "object" && addr ? addr.port : cfg.wakePort;
    logger.info("wake handler listening", { address: cfg.wakeAddress, port: wakePort });
  }

  await Promise.all(informers.map((i) => i.start()));
  logger.info("informers synced", { namespaces: ns.length ? ns : "all" });
  if (cfg.metricsSource === "none" && !o.sources) {
    logger.warn(
      "no metrics source configured: KubeNap is not in the traffic path, so it cannot tell when an app is idle and will put nothing to sleep; set --metrics-source",
    );
  }

  if (cfg.leaderElection) {
    const leaseNamespace = cfg.leaseNamespace || defaultLeaseNamespace(kc);
    leader = new LeaderElector({
      coordination: client(CoordinationV1Api),
      namespace: leaseNamespace,
      name: cfg.leaseName,
      identity: cfg.identity,
      leaseDurationMs: cfg.leaseDurationMs,
      renewDeadlineMs: cfg.leaseRenewDeadlineMs,
      retryPeriodMs: cfg.leaseRetryMs,
      clock,
      timers: clock,
      logger: logger.child({ component: "leader" }),
      onStartedLeading: () => monitor.start(),
      onStoppedLeading: () => monitor.stop(),
    });
    logger.info("leader election", { lease: `${leaseNamespace}/${cfg.leaseName}` });
    leader.start();
  } else {
    monitor.start();
  }

  return {
    monitor,
    leader,
    server,
    wakePort,
    async drain() {
      if (shutdown.signal.aborted) return;
      logger.info("draining: /readyz fails, requests are still served", { forMs: cfg.shutdownDelayMs });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, cfg.shutdownDelayMs);
        shutdown.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
        draining = true;
      });
    },
    async stop() {
      // The monitor stops (its sweep finishes) before the Lease is released, so no two sweep at once.
      if (leader) await leader.stop();
      else await monitor.stop();
      shutdown.abort();
      informers.forEach((i) => i.stop());
      await Promise.all([...built.values()].map(async (s) => (s as Partial<Closable>).close?.()));
      await events.settled();
      if (server) {
        const s = server;
        // Held wakes were answered 503 + Retry-After by the abort above; idle keep-alives close now.
        s.closeIdleConnections();
        const closed = new Promise((r) => s.close(r));
        const t = setTimeout(() => s.closeAllConnections(), 2_000);
        await closed;
        clearTimeout(t);
      }
    },
  };
}
