import { createServer, type Server } from "node:http";
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
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
import { DeploymentScaler } from "./k8s/deployments.js";
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
import { TargetIndex } from "./wake/targets.js";
import { Waker } from "./wake/waker.js";

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
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const discovery = kc.makeApiClient(DiscoveryV1Api);
  const networking = kc.makeApiClient(NetworkingV1Api);
  const defaults: PolicyDefaults = {
    idleAfterMs: cfg.idleAfterMs,
    wakeTimeoutMs: cfg.wakeTimeoutMs,
    proxy: cfg.proxy,
    metricsSource: cfg.metricsSource,
  };
  const ns = cfg.namespaces;
  const watchLog = logger.child({ component: "informer" });
  const scoped = (group: string, resource: string) => (n: string | undefined) =>
    n ? `${group}/namespaces/${n}/${resource}` : `${group}/${resource}`;
  const deployments = new WatchSet<V1Deployment>(
    kc,
    scoped("/apis/apps/v1", "deployments"),
    (n) =>
      n
        ? apps.listNamespacedDeployment({ namespace: n, labelSelector: `${KEYS.enabled.key}=true` })
        : apps.listDeploymentForAllNamespaces({ labelSelector: `${KEYS.enabled.key}=true` }),
    ns,
    watchLog,
    clock,
    `${KEYS.enabled.key}=true`,
  );
  const services = new WatchSet<V1Service>(
    kc,
    scoped("/api/v1", "services"),
    (n) => (n ? core.listNamespacedService({ namespace: n }) : core.listServiceForAllNamespaces()),
    ns,
    watchLog,
    clock,
  );
  const ingresses = new WatchSet<V1Ingress>(
    kc,
    scoped("/apis/networking.k8s.io/v1", "ingresses"),
    (n) =>
      n ? networking.listNamespacedIngress({ namespace: n }) : networking.listIngressForAllNamespaces(),
    ns,
    watchLog,
    clock,
  );
  const slices = new WatchSet<V1EndpointSlice>(
    kc,
    scoped("/apis/discovery.k8s.io/v1", "endpointslices"),
    (n) =>
      n
        ? discovery.listNamespacedEndpointSlice({ namespace: n })
        : discovery.listEndpointSliceForAllNamespaces(),
    ns,
    watchLog,
    clock,
  );
  const metrics = new WakeMetrics(true);
  // Every configured source, built before anything starts so a bad option stops start-up at once.
  const built = o.sources ?? createSources({ config: cfg, clock, logger, ingresses });
  const errorCounter = new SourceErrorCounter(metrics.registry);
  const sources = new Map([...built].map(([kind, s]) => [kind, errorCounter.wrap(s)]));
  const sourceKinds = [...sources.keys()];
  const informers = [deployments, services, ingresses, slices];
  const synced = (): boolean => informers.every((i) => i.synced);
  const readiness = new Readiness(slices, deployments, clock, synced);
  slices.onChange((_t, s) => readiness.onSlice(s));
  deployments.onChange((_t, d) => readiness.onDeployment(d));

  const events = new EventRecorder(core, clock, logger.child({ component: "events" }), cfg.identity);
  const scaler = new DeploymentScaler(apps);
  const monitor = new Monitor({
    deployments,
    sources,
    scaler,
    events,
    clock,
    timers: clock,
    logger,
    defaults,
    hpas: new ApiHpaLookup(kc.makeApiClient(AutoscalingV2Api), ns),
    sweepIntervalMs: cfg.sweepIntervalMs,
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
  });
  const targets = new TargetIndex(deployments, services, ingresses, defaults, sourceKinds);

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
      limits: {
        holdLimitMs: cfg.holdLimitMs,
        settleDelayMs: cfg.settleDelayMs,
        loopGuardMs: cfg.loopGuardMs,
        maxHeldPerApp: cfg.maxHeldPerApp,
        retryAfterSeconds: cfg.retryAfter,
      },
    });
    server = createServer({ maxHeaderSize: 16 * 1024 }, app);
    server.requestTimeout = cfg.holdLimitMs + cfg.settleDelayMs + 30_000;
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

  let leader: LeaderElector | undefined;
  if (cfg.leaderElection) {
    leader = new LeaderElector({
      coordination: kc.makeApiClient(CoordinationV1Api),
      namespace: cfg.leaseNamespace,
      name: cfg.leaseName,
      identity: cfg.identity,
      leaseDurationMs: cfg.leaseDurationMs,
      retryPeriodMs: cfg.leaseRetryMs,
      clock,
      timers: clock,
      logger: logger.child({ component: "leader" }),
      onStartedLeading: () => monitor.start(),
      onStoppedLeading: () => void monitor.stop(),
    });
    leader.start();
  } else {
    monitor.start();
  }

  return {
    monitor,
    leader,
    server,
    wakePort,
    async stop() {
      await leader?.stop();
      await monitor.stop();
      informers.forEach((i) => i.stop());
      await Promise.all([...built.values()].map(async (s) => (s as Partial<Closable>).close?.()));
      if (server) {
        server.closeAllConnections();
        await new Promise((r) => server?.close(r));
      }
    },
  };
}
