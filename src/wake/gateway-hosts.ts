import type { KubernetesObject } from "@kubernetes/client-node";
import { hostMatches } from "./routes.js";

// Gateway API (gateway.networking.k8s.io/v1) as the wake handler needs it: which hostnames an HTTPRoute
// serves for which backend Services, and which of them a parent Gateway listener terminates TLS for. An
// app behind an HTTPRoute thus gets the same redirect-host check and the same https default as one behind
// an Ingress with spec.tls. Only what these fields say counts; no routing by Host is done from routes.

/** The fields of an HTTPRoute that matter here (the client has no typed model for the CRD). */
export interface HTTPRoute extends KubernetesObject {
  spec?: {
    hostnames?: string[];
    parentRefs?: { group?: string; kind?: string; namespace?: string; name: string; sectionName?: string }[];
    rules?: { backendRefs?: { group?: string; kind?: string; namespace?: string; name: string }[] }[];
  };
}

/** The fields of a Gateway that matter here. */
export interface Gateway extends KubernetesObject {
  spec?: { listeners?: { name: string; hostname?: string; protocol: string }[] };
}

interface CompiledRoute {
  hostnames: string[];
  /** Backend Services as `namespace/name`. */
  services: string[];
  parents: { gateway: string; section?: string }[];
}

interface Listener {
  name: string;
  hostname?: string;
  tls: boolean;
}

const keyOf = (o: KubernetesObject): string => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;
const isCore = (group: string | undefined, kind: string | undefined, want: string): boolean =>
  (group === undefined || group === "" || group === "gateway.networking.k8s.io" || group === "core") &&
  (kind === undefined || kind === want);

function compileRoute(r: HTTPRoute): CompiledRoute {
  const ns = r.metadata?.namespace ?? "";
  const services = new Set<string>();
  for (const rule of r.spec?.rules ?? [])
    for (const b of rule.backendRefs ?? [])
      if ((b.group === undefined || b.group === "") && (b.kind === undefined || b.kind === "Service"))
        services.add(`${b.namespace ?? ns}/${b.name}`);
  const parents = (r.spec?.parentRefs ?? [])
    .filter((p) => isCore(p.group, p.kind, "Gateway"))
    .map((p) => ({
      gateway: `${p.namespace ?? ns}/${p.name}`,
      ...(p.sectionName && { section: p.sectionName }),
    }));
  return {
    hostnames: (r.spec?.hostnames ?? []).map((h) => h.toLowerCase()),
    services: [...services],
    parents,
  };
}

/** HTTPRoute hostnames and Gateway TLS, kept up to date one object at a time. */
export class GatewayHosts {
  private readonly routes = new Map<string, CompiledRoute>();
  private readonly routesByService = new Map<string, Set<string>>();
  private readonly gateways = new Map<string, Listener[]>();

  onRoute(type: "add" | "update" | "delete", r: HTTPRoute): void {
    const key = keyOf(r);
    for (const s of this.routes.get(key)?.services ?? []) this.routesByService.get(s)?.delete(key);
    if (type === "delete") {
      this.routes.delete(key);
      return;
    }
    const compiled = compileRoute(r);
    this.routes.set(key, compiled);
    for (const s of compiled.services) {
      const set = this.routesByService.get(s) ?? new Set<string>();
      set.add(key);
      this.routesByService.set(s, set);
    }
  }

  onGateway(type: "add" | "update" | "delete", g: Gateway): void {
    const key = keyOf(g);
    if (type === "delete") this.gateways.delete(key);
    else
      this.gateways.set(
        key,
        (g.spec?.listeners ?? []).map((l) => ({
          name: l.name,
          ...(l.hostname && { hostname: l.hostname.toLowerCase() }),
          tls: l.protocol === "HTTPS",
        })),
      );
  }

  /**
   * The hostnames of the routes to these Services (`namespace/name`), and those a parent Gateway serves
   * over HTTPS (as an Ingress's spec.tls does, an HTTPS listener makes https the default even when an
   * HTTP one serves the host too). A route without hostnames takes its listeners' hostnames.
   */
  hostsOf(services: Iterable<string>): { hosts: string[]; tlsHosts: string[] } {
    const hosts = new Set<string>();
    const tls = new Set<string>();
    for (const s of services)
      for (const key of this.routesByService.get(s) ?? []) {
        const route = this.routes.get(key);
        if (!route) continue;
        const listeners = route.parents.flatMap((p) =>
          (this.gateways.get(p.gateway) ?? []).filter((l) => p.section === undefined || l.name === p.section),
        );
        const names =
          route.hostnames.length > 0
            ? route.hostnames
            : listeners.flatMap((l) => (l.hostname ? [l.hostname] : []));
        for (const h of names) {
          hosts.add(h);
          const served = listeners.filter(
            (l) => l.hostname === undefined || hostMatches(l.hostname, h.replace(/^\*\./, "x.")),
          );
          if (served.some((l) => l.tls)) tls.add(h);
        }
      }
    return { hosts: [...hosts], tlsHosts: [...tls] };
  }
}
