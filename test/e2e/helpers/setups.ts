// One function per ingress that turns the plugin's output into a running proxy for a set of asleep
// apps, shared by the journeys (test/e2e/*.test.ts) and the benchmark (bench/ingress-wakes.ts).
import { NetworkingV1Api } from "@kubernetes/client-node";
import { stringify } from "yaml";
import {
  DEFAULT_PLUGIN_OPTIONS,
  defaultWakeService,
  pluginTarget,
  proxyPlugin,
  type PluginOptions,
  type RenderedFile,
} from "../../../src/proxy-plugins/index.js";
import { istioCluster } from "../../../src/proxy-plugins/istio.js";
import { clients } from "../../integration/helpers/kube.js";
import { clusterIp, createSleepingApp, kubectlApply } from "./apps.js";
import { startKubenapInWorld } from "./kubenap.js";
import {
  ENVOY_PORT,
  TRAEFIK_API,
  TRAEFIK_WEB,
  startEnvoy,
  startNginx,
  startTraefik,
  type EnvoyRoute,
} from "./proxies.js";
import { runInNetns, type NetnsProcess } from "./world.js";

/** An app of a setup: its name, the routing form (traefik), an optional 503 warm-up, awake or not. */
export interface SetupApp {
  app: string;
  routing?: "ingress.yaml" | "ingressroute.yaml" | "httproute.yaml";
  failFor?: string;
  /** The app takes this long to start (longer than KubeNap's hold limit: the client is asked again). */
  startAfter?: string;
  /** Start awake (one replica) with this kubenap/idleAfter; default: asleep. */
  awakeIdleAfter?: string;
}

/** How a setup runs KubeNap: default the idle test source (startKubenapInWorld). */
export type KubenapStarter = (ns: string) => Promise<NetnsProcess>;

const appOpts = (
  a: SetupApp,
): { failFor?: string; startAfter?: string; awake?: boolean; idleAfter?: string } => ({
  ...(a.failFor && { failFor: a.failFor }),
  ...(a.startAfter && { startAfter: a.startAfter }),
  ...(a.awakeIdleAfter && { awake: true, idleAfter: a.awakeIdleAfter }),
});
const defaultKubenap: KubenapStarter = (ns) => startKubenapInWorld([ns]);

/** A running ingress in front of KubeNap and the apps. */
export interface Setup {
  port: number;
  host(app: string): string;
  /** The proxy's own log file. */
  log: string;
  stop(): Promise<void>;
}

const stopAll = (ps: NetnsProcess[]) => async (): Promise<void> => {
  for (const p of ps.reverse()) await p.stop();
};

/** Debian's NGINX from the nginx plugin: upstream = each app's ClusterIP, wake = the kubenap ClusterIP. */
export async function setUpNginx(
  ns: string,
  apps: SetupApp[],
  startKubenap: KubenapStarter = defaultKubenap,
): Promise<Setup> {
  const PORT = 18080;
  const host = (app: string): string => `${app}.nginx.example`;
  for (const a of apps) await createSleepingApp(ns, a.app, host(a.app), { ingress: "create", ...appOpts(a) });
  const kubenap = await startKubenap(ns);
  const wake = { ...defaultWakeService(), url: `http://${await clusterIp("kubenap", "kubenap")}` };
  const { apps: appsApi, core, kc } = clients();
  const services = (await core.listNamespacedService({ namespace: ns })).items;
  const ingresses = (await kc.makeApiClient(NetworkingV1Api).listNamespacedIngress({ namespace: ns })).items;
  const files: RenderedFile[] = [];
  for (const a of apps) {
    const target = pluginTarget({
      deployment: await appsApi.readNamespacedDeployment({ namespace: ns, name: a.app }),
      services,
      ingresses,
      upstream: `${await clusterIp(ns, a.app)}:80`,
    });
    files.push(...proxyPlugin("nginx").render(target, wake, { ...DEFAULT_PLUGIN_OPTIONS, listenPort: PORT }));
  }
  const nginx = await startNginx(ns, files, PORT);
  return { port: PORT, host, log: nginx.log, stop: stopAll([kubenap, nginx]) };
}

/**
 * Traefik from the traefik plugin: its Middleware plus the app's routing form, applied as rendered,
 * with what a Traefik installation provides (IngressClass, GatewayClass, a Gateway on its entry point).
 */
export async function setUpTraefik(
  ns: string,
  apps: SetupApp[],
  startKubenap: KubenapStarter = defaultKubenap,
): Promise<Setup> {
  const host = (app: string): string => `${app}.traefik.example`;
  const options: PluginOptions = {
    ...DEFAULT_PLUGIN_OPTIONS,
    gateway: { namespace: ns, name: "traefik-gateway" },
  };
  await kubectlApply(
    `${ns}-traefik-install`,
    [
      {
        apiVersion: "networking.k8s.io/v1",
        kind: "IngressClass",
        metadata: { name: "traefik" },
        spec: { controller: "traefik.io/ingress-controller" },
      },
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "GatewayClass",
        metadata: { name: "traefik" },
        spec: { controllerName: "traefik.io/gateway-controller" },
      },
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: "traefik-gateway", namespace: ns },
        spec: {
          gatewayClassName: "traefik",
          listeners: [{ name: "web", port: TRAEFIK_WEB, protocol: "HTTP" }],
        },
      },
    ]
      .map((o) => stringify(o))
      .join("---\n"),
  );
  const { apps: appsApi, core } = clients();
  for (const a of apps) {
    const routing = a.routing ?? "ingressroute.yaml";
    await createSleepingApp(ns, a.app, host(a.app), {
      ...(routing === "ingress.yaml" && { ingress: "annotate" }),
      ...appOpts(a),
    });
    const target = pluginTarget({
      deployment: await appsApi.readNamespacedDeployment({ namespace: ns, name: a.app }),
      services: (await core.listNamespacedService({ namespace: ns })).items,
      hosts: [host(a.app)],
    });
    const files = proxyPlugin("traefik").render(target, defaultWakeService(), options);
    const pick = (name: string): string => files.find((f) => f.name === name)?.content ?? "";
    await kubectlApply(`${ns}-${a.app}`, `${pick("middleware.yaml")}---\n${pick(routing)}`);
  }
  const kubenap = await startKubenap(ns);
  const traefik = await startTraefik(ns);
  await waitRouted(apps.map((a) => host(a.app)));
  return { port: TRAEFIK_WEB, host, log: traefik.log, stop: stopAll([kubenap, traefik]) };
}

/** Envoy running the istio plugin's Lua, in an Istio-shaped bootstrap (see proxies.ts). */
export async function setUpEnvoy(ns: string, apps: SetupApp[]): Promise<Setup> {
  const host = (app: string): string => `${app}.envoy.example`;
  const wake = defaultWakeService();
  const { apps: appsApi, core } = clients();
  const routes: EnvoyRoute[] = [];
  for (const a of apps) {
    await createSleepingApp(ns, a.app, host(a.app), a.failFor ? { failFor: a.failFor } : {});
    const target = pluginTarget({
      deployment: await appsApi.readNamespacedDeployment({ namespace: ns, name: a.app }),
      services: (await core.listNamespacedService({ namespace: ns })).items,
      hosts: [host(a.app)],
    });
    const lua = proxyPlugin("istio")
      .render(target, wake, DEFAULT_PLUGIN_OPTIONS)
      .find((f) => f.name.endsWith(".lua"));
    routes.push({
      hosts: [host(a.app)],
      cluster: istioCluster(ns, a.app, 80),
      ip: await clusterIp(ns, a.app),
      port: 80,
      lua: lua?.content ?? "",
    });
  }
  const kubenap = await startKubenapInWorld([ns]);
  const envoy = await startEnvoy(ns, routes, {
    cluster: istioCluster(wake.namespace, wake.name, wake.port),
    ip: await clusterIp(wake.namespace, wake.name),
    port: wake.port,
  });
  return { port: ENVOY_PORT, host, log: envoy.log, stop: stopAll([kubenap, envoy]) };
}

/** Waits until Traefik has an enabled router with a middleware for every host (traffic would wake the apps). */
async function waitRouted(hosts: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing = hosts;
  while (Date.now() < deadline) {
    const out = await runInNetns([
      "curl",
      "-sS",
      "--max-time",
      "2",
      `http://127.0.0.1:${TRAEFIK_API}/api/http/routers?per_page=1000`,
    ]).catch(() => "[]");
    let routers: { rule?: string; status?: string; middlewares?: string[] }[] = [];
    try {
      routers = JSON.parse(out) as typeof routers;
    } catch {
      // not serving yet
    }
    missing = hosts.filter(
      (h) =>
        !routers.some(
          (r) => r.status === "enabled" && (r.rule ?? "").includes(h) && (r.middlewares ?? []).length > 0,
        ),
    );
    if (missing.length === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `Traefik has no enabled router with the middleware for ${missing.join(", ")} after ${timeoutMs} ms`,
  );
}
