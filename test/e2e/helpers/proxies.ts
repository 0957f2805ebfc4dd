// The real proxies of the journeys, each started inside the namespace from the plugin's output only:
// Debian's NGINX, Traefik (official binary) with its three Kubernetes providers, Envoy (official binary).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { RenderedFile } from "../../../src/proxy-plugins/index.js";
import { nginxMainConf } from "./nginx-conf.js";
import { NetnsProcess, artifacts, waitHttp, world } from "./world.js";

/** Where startNginx(name) writes its access log (NGINX's combined format). */
export const nginxAccessLog = (name: string): string => join(artifacts("nginx", name), "access.log");

/** NGINX with the plugin's server blocks in conf.d (the *.conf files only), on 127.0.0.1. */
export async function startNginx(name: string, files: RenderedFile[], port: number): Promise<NetnsProcess> {
  const dir = artifacts("nginx", name);
  const confd = join(dir, "conf.d");
  mkdirSync(confd, { recursive: true });
  mkdirSync(join(dir, "tmp"), { recursive: true });
  for (const f of files.filter((f) => f.name.endsWith(".conf")))
    writeFileSync(join(confd, f.name), f.content);
  const main = join(dir, "nginx.conf");
  // Everything KubeNap-specific is in conf.d/ (the plugin's output).
  writeFileSync(main, nginxMainConf(dir, `${confd}/*.conf`));
  const p = new NetnsProcess("nginx", ["nginx", "-c", main, "-p", dir], join(dir, "stdout.log"));
  await waitHttp(`http://127.0.0.1:${port}/`);
  return p;
}

/** Ports of the Traefik instance. */
export const TRAEFIK_WEB = 18081;
/** Traefik's own entry point: ping and the API (routers it has built). */
export const TRAEFIK_API = 18091;

/** Traefik with the kubernetescrd, kubernetesingress and kubernetesgateway providers against the plane. */
export async function startTraefik(name: string): Promise<NetnsProcess> {
  const dir = artifacts("traefik", name);
  const p = new NetnsProcess(
    "traefik",
    [
      join(world().proxies, "bin", "traefik"),
      `--entryPoints.web.address=127.0.0.1:${TRAEFIK_WEB}`,
      `--entryPoints.traefik.address=127.0.0.1:${TRAEFIK_API}`,
      "--ping=true",
      // The API on the "traefik" entry point (127.0.0.1 inside the namespace): tests read the routers.
      "--api.insecure=true",
      // Nothing may try to leave the machine (it could not: the namespace has no route out).
      "--global.checkNewVersion=false",
      "--global.sendAnonymousUsage=false",
      "--providers.kubernetesCRD=true",
      "--providers.kubernetesCRD.allowEmptyServices=true",
      "--providers.kubernetesCRD.allowCrossNamespace=true",
      "--providers.kubernetesIngress=true",
      "--providers.kubernetesIngress.allowEmptyServices=true",
      "--providers.kubernetesGateway=true",
      "--log.level=INFO",
      "--accesslog=true",
      // Request counters per service (traefik_service_requests_total) on the traefik entry point.
      "--metrics.prometheus=true",
      "--metrics.prometheus.entryPoint=traefik",
      "--metrics.prometheus.addServicesLabels=true",
    ],
    join(dir, "traefik.log"),
    { ...process.env, KUBECONFIG: world().innerKubeconfig },
  );
  await waitHttp(`http://127.0.0.1:${TRAEFIK_API}/ping`);
  return p;
}

/** Port of the Envoy listener. */
export const ENVOY_PORT = 18082;
const ENVOY_ADMIN = 18092;

/** A cluster of one static address, named as Istio names it. */
const staticCluster = (name: string, ip: string, port: number): object => ({
  name,
  type: "STATIC",
  connect_timeout: "1s",
  load_assignment: {
    cluster_name: name,
    endpoints: [
      { lb_endpoints: [{ endpoint: { address: { socket_address: { address: ip, port_value: port } } } }] },
    ],
  },
});

/** One app behind the Envoy gateway: its hosts, the cluster Istio would name and where it is. */
export interface EnvoyRoute {
  hosts: string[];
  cluster: string;
  ip: string;
  port: number;
  lua: string;
}

/**
 * Envoy with a bootstrap shaped like an Istio ingress gateway's: one HTTP listener, an HCM whose
 * filters are the EnvoyFilter's Lua (inserted before the router) and the router, outbound|port||host
 * clusters for the apps and for KubeNap.
 */
export async function startEnvoy(
  name: string,
  routes: EnvoyRoute[],
  wake: { cluster: string; ip: string; port: number },
): Promise<NetnsProcess> {
  const dir = artifacts("envoy", name);
  const bootstrap = {
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: ENVOY_ADMIN } } },
    static_resources: {
      listeners: [
        {
          name: "0.0.0.0_8080",
          address: { socket_address: { address: "127.0.0.1", port_value: ENVOY_PORT } },
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type":
                      "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    stat_prefix: "outbound_0.0.0.0_8080",
                    access_log: [
                      {
                        name: "envoy.access_loggers.file",
                        typed_config: {
                          "@type":
                            "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
                          path: join(dir, "access.log"),
                        },
                      },
                    ],
                    route_config: {
                      name: "http.8080",
                      virtual_hosts: routes.map((r) => ({
                        name: r.cluster,
                        domains: r.hosts.flatMap((h) => [h, `${h}:*`]),
                        routes: [{ match: { prefix: "/" }, route: { cluster: r.cluster, timeout: "0s" } }],
                      })),
                    },
                    http_filters: [
                      ...routes.map((r) => ({
                        name: "envoy.filters.http.lua",
                        typed_config: {
                          "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua",
                          default_source_code: { inline_string: r.lua },
                        },
                      })),
                      {
                        name: "envoy.filters.http.router",
                        typed_config: {
                          "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router",
                        },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
      clusters: [
        ...routes.map((r) => staticCluster(r.cluster, r.ip, r.port)),
        staticCluster(wake.cluster, wake.ip, wake.port),
      ],
    },
  };
  const file = join(dir, "envoy.yaml");
  writeFileSync(file, stringify(bootstrap));
  const p = new NetnsProcess(
    "envoy",
    [
      join(world().proxies, "bin", "envoy"),
      "-c",
      file,
      "--concurrency",
      "1",
      "--log-level",
      "warn",
      "--base-id",
      "0",
    ],
    join(dir, "envoy.log"),
  );
  await waitHttp(`http://127.0.0.1:${ENVOY_ADMIN}/ready`);
  return p;
}

/** Port of the Prometheus server. */
export const PROMETHEUS_PORT = 19090;

/** Debian's Prometheus scraping the given targets (job name → host:port) every second. */
export async function startPrometheus(name: string, jobs: Record<string, string>): Promise<NetnsProcess> {
  const dir = artifacts("prometheus", name);
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      scrape_configs: Object.entries(jobs).map(([job, target]) => ({
        job_name: job,
        static_configs: [{ targets: [target] }],
      })),
    }),
  );
  const p = new NetnsProcess(
    "prometheus",
    [
      "prometheus",
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
      "--log.level=warn",
    ],
    join(dir, "prometheus.log"),
  );
  await waitHttp(`http://127.0.0.1:${PROMETHEUS_PORT}/-/ready`);
  return p;
}
