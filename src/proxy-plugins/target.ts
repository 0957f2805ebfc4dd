import type { V1Deployment, V1Ingress, V1Service } from "@kubernetes/client-node";
import { KEYS } from "../annotations/keys.js";
import { ProxyPluginError, type PluginTarget } from "./types.js";
import { serviceDns } from "./wake-request.js";

/** The objects a plugin target is read from: the Deployment, and its namespace's Services and Ingresses. */
export interface TargetObjects {
  deployment: V1Deployment;
  services: readonly V1Service[];
  ingresses?: readonly V1Ingress[];
  /** Hosts when the app has no Ingress (IngressRoute, HTTPRoute, Envoy). */
  hosts?: string[];
  /** Overrides the upstream address (host:port), e.g. a ClusterIP. */
  upstream?: string;
}

/**
 * The Services of an app: the one kubenap/service names, else those in its namespace selecting its pods
 * (exactly one is usable).
 */
export function appServices(dep: V1Deployment, services: readonly V1Service[]): V1Service[] {
  const namespace = dep.metadata?.namespace ?? "default";
  const named = dep.metadata?.annotations?.[KEYS.service.key];
  const podLabels = dep.spec?.template?.metadata?.labels ?? {};
  const inNs = services.filter((s) => (s.metadata?.namespace ?? namespace) === namespace);
  return named
    ? inNs.filter((s) => s.metadata?.name === named)
    : inNs.filter((s) => {
        const sel = s.spec?.selector ?? {};
        return Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => podLabels[k] === v);
      });
}

/**
 * Reads a plugin target the way the wake handler resolves one: kubenap/service, else the single
 * Service selecting the pods; kubenap/ingress for hosts and TLS.
 */
export function pluginTarget(o: TargetObjects): PluginTarget {
  const dep = o.deployment;
  const namespace = dep.metadata?.namespace ?? "default";
  const deployment = dep.metadata?.name ?? "";
  if (!deployment) throw new ProxyPluginError("the Deployment has no name");
  if (dep.metadata?.labels?.[KEYS.enabled.key] !== "true") {
    throw new ProxyPluginError(
      `deployment ${namespace}/${deployment} is not opted in (label ${KEYS.enabled.key}="true")`,
    );
  }
  const annotations = dep.metadata?.annotations ?? {};
  const named = annotations[KEYS.service.key];
  const matching = appServices(dep, o.services);
  const svc = matching[0];
  if (!svc || matching.length > 1) {
    throw new ProxyPluginError(
      named
        ? `service ${namespace}/${named} (from ${KEYS.service.key}) does not exist`
        : `deployment ${namespace}/${deployment} needs exactly one Service selecting its pods (found ${matching.length}); set ${KEYS.service.key}`,
    );
  }
  const service = svc.metadata?.name ?? "";
  const servicePort = svc.spec?.ports?.[0]?.port;
  if (!servicePort) throw new ProxyPluginError(`service ${namespace}/${service} has no port`);
  const ingName = annotations[KEYS.ingress.key];
  const ing = ingName ? o.ingresses?.find((i) => i.metadata?.name === ingName) : undefined;
  // Given hosts: the Ingress may be what the plugin is about to render.
  if (ingName && !ing && !o.hosts)
    throw new ProxyPluginError(`ingress ${namespace}/${ingName} (from ${KEYS.ingress.key}) does not exist`);
  const hosts = o.hosts ?? (ing?.spec?.rules ?? []).map((r) => r.host).filter((h): h is string => !!h);
  if (hosts.length === 0)
    throw new ProxyPluginError(
      `no host for ${namespace}/${deployment}: give it an Ingress with a host (${KEYS.ingress.key}) or pass hosts`,
    );
  const tlsHosts = new Set((ing?.spec?.tls ?? []).flatMap((t) => t.hosts ?? []));
  return {
    namespace,
    deployment,
    service,
    servicePort,
    hosts,
    scheme: hosts.some((h) => tlsHosts.has(h)) ? "https" : "http",
    upstream: o.upstream ?? `${serviceDns(namespace, service)}:${servicePort}`,
  };
}
