import type { V1Ingress, V1IngressBackend } from "@kubernetes/client-node";

// Ingress routing as the Ingress spec (and ingress-nginx, where the spec leaves it open) defines it:
// an exact host beats a wildcard host, which beats the catch-all (rules without a host); within a
// host an Exact path beats any Prefix, the longest Prefix wins (element-wise: `/foo/` matches `/foo`,
// not `/foobar`), then the Ingresses' defaultBackend. Where two Ingresses claim the same host and path,
// the oldest Ingress wins (ingress-nginx's rule). There is no fall-through from a host to the catch-all.

/** Where one Ingress path (or a defaultBackend) sends traffic. */
export interface Route {
  /** `namespace/name` of the Ingress. */
  ingress: string;
  namespace: string;
  /** The backend Service's name (in the Ingress's namespace). */
  service: string;
  kind: "Exact" | "Prefix" | "ImplementationSpecific" | "Default";
  path: string;
  /** Creation time of the Ingress (ms), for "oldest wins"; then the key, for a stable order. */
  createdAt: number;
}

/** An Ingress reduced to what routing needs. */
export interface CompiledIngress {
  key: string;
  namespace: string;
  name: string;
  createdAt: number;
  /** Hosts of its rules (lower case; `*.x` wildcards kept); empty when every rule is host-less. */
  hosts: string[];
  /** Hosts its spec.tls covers (an entry without hosts covers all of `hosts`). */
  tlsHosts: string[];
  /** host ("" = catch-all) → routes. */
  routes: Map<string, Route[]>;
  /** Every backend Service it names. */
  services: Set<string>;
}

/** The Ingress class an Ingress asks for: spec.ingressClassName, else the legacy annotation. */
export function ingressClassOf(ing: V1Ingress): string | undefined {
  return ing.spec?.ingressClassName ?? ing.metadata?.annotations?.["kubernetes.io/ingress.class"];
}

const backendService = (b: V1IngressBackend | undefined): string | undefined => b?.service?.name;

/** Compiles an Ingress's rules into routes per host. */
export function compileIngress(ing: V1Ingress): CompiledIngress {
  const namespace = ing.metadata?.namespace ?? "";
  const name = ing.metadata?.name ?? "";
  const key = `${namespace}/${name}`;
  const created = ing.metadata?.creationTimestamp;
  const createdAt = created ? new Date(created).getTime() || 0 : 0;
  const routes = new Map<string, Route[]>();
  const services = new Set<string>();
  const add = (host: string, r: Omit<Route, "ingress" | "namespace" | "createdAt">): void => {
    const list = routes.get(host) ?? [];
    list.push({ ...r, ingress: key, namespace, createdAt });
    routes.set(host, list);
    services.add(r.service);
  };
  const hosts = new Set<string>();
  for (const rule of ing.spec?.rules ?? []) {
    const host = (rule.host ?? "").toLowerCase();
    if (host) hosts.add(host);
    for (const p of rule.http?.paths ?? []) {
      const service = backendService(p.backend);
      if (!service) continue;
      const kind = p.pathType === "Exact" || p.pathType === "Prefix" ? p.pathType : "ImplementationSpecific";
      add(host, { service, kind, path: p.path ?? "/" });
    }
  }
  const def = backendService(ing.spec?.defaultBackend);
  if (def) {
    // The defaultBackend serves the unmatched paths of the Ingress's own hosts; an Ingress without
    // hosted rules makes it the catch-all's default.
    const targets = hosts.size > 0 ? [...hosts] : [""];
    for (const h of targets) add(h, { service: def, kind: "Default", path: "" });
  }
  const tlsHosts = new Set<string>();
  for (const t of ing.spec?.tls ?? []) {
    const list = t.hosts && t.hosts.length > 0 ? t.hosts : [...hosts];
    for (const h of list) tlsHosts.add(h.toLowerCase());
  }
  return {
    key,
    namespace,
    name,
    createdAt,
    hosts: [...hosts],
    tlsHosts: [...tlsHosts],
    routes,
    services,
  };
}

/**
 * A request's Host reduced to the name routing compares: lower case, no port, no trailing dot.
 * IPv6 literals keep their brackets.
 */
export function hostName(host: string): string {
  let h = host.toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end > 0 ? h.slice(0, end + 1) : h;
  }
  const colon = h.lastIndexOf(":");
  if (colon >= 0) h = h.slice(0, colon);
  return h.endsWith(".") ? h.slice(0, -1) : h;
}

/** Ingress host match: exact, or a `*.` wildcard covering exactly one more DNS label. */
export function hostMatches(pattern: string, host: string): boolean {
  const h = hostName(host);
  const p = pattern.toLowerCase();
  if (!p.startsWith("*.")) return p === h;
  const suffix = p.slice(1);
  return h.endsWith(suffix) && h.length > suffix.length && !h.slice(0, -suffix.length).includes(".");
}

/** The request path without query or fragment. */
export function pathOnly(path: string): string {
  const q = path.search(/[?#]/);
  return q < 0 ? path : path.slice(0, q);
}

/** True when the route's path matches the request path (query already removed). */
export function routeMatches(r: Route, path: string): boolean {
  switch (r.kind) {
    case "Exact":
      return path === r.path;
    case "Prefix": {
      // Element-wise: the prefix's segments (trailing slash ignored) are the path's first segments.
      const prefix = r.path.replace(/\/+$/, "");
      if (prefix === "") return true;
      return path === prefix || path.startsWith(`${prefix}/`);
    }
    case "ImplementationSpecific":
      // ingress-nginx treats it as an NGINX location prefix: a plain string prefix.
      return path.startsWith(r.path);
    default:
      return true;
  }
}

/** Orders routes by precedence: Exact, then longer prefixes, then defaults; oldest Ingress first. */
export function compareRoutes(a: Route, b: Route): number {
  const rank = (r: Route): number => (r.kind === "Exact" ? 0 : r.kind === "Default" ? 2 : 1);
  const byRank = rank(a) - rank(b);
  if (byRank !== 0) return byRank;
  const len = (r: Route): number => (r.kind === "Prefix" ? r.path.replace(/\/+$/, "").length : r.path.length);
  const byLen = len(b) - len(a);
  if (byLen !== 0) return byLen;
  // A Prefix and an ImplementationSpecific path of the same length: the spec's Prefix first.
  const kind = (r: Route): number => (r.kind === "Prefix" ? 0 : 1);
  const byKind = kind(a) - kind(b);
  if (byKind !== 0) return byKind;
  return a.createdAt - b.createdAt || (a.ingress < b.ingress ? -1 : a.ingress > b.ingress ? 1 : 0);
}

/** The routes of one host across every Ingress, in precedence order, with Exact paths in a map. */
export class HostRoutes {
  private readonly exact = new Map<string, Route>();
  private readonly others: Route[];

  constructor(routes: Route[]) {
    const sorted = [...routes].sort(compareRoutes);
    for (const r of sorted) if (r.kind === "Exact" && !this.exact.has(r.path)) this.exact.set(r.path, r);
    this.others = sorted.filter((r) => r.kind !== "Exact");
  }

  /** The winning route for a path (query allowed), or undefined. */
  match(path: string): Route | undefined {
    const p = pathOnly(path);
    const exact = this.exact.get(p);
    if (exact) return exact;
    for (const r of this.others) if (routeMatches(r, p)) return r;
    return undefined;
  }
}

/**
 * Every Ingress's routes by host, kept up to date one Ingress at a time. A lookup costs two map
 * reads plus a scan of the one host's paths: independent of how many apps and Ingresses exist.
 */
export class RouteTable {
  private readonly ingresses = new Map<string, CompiledIngress>();
  /** host → keys of the Ingresses with routes for it. */
  private readonly byHost = new Map<string, Set<string>>();
  private readonly compiled = new Map<string, HostRoutes>();

  /** Adds or replaces an Ingress (undefined: removes it). */
  set(key: string, ing: CompiledIngress | undefined): void {
    const old = this.ingresses.get(key);
    const touched = new Set<string>([...(old?.routes.keys() ?? []), ...(ing?.routes.keys() ?? [])]);
    for (const h of old?.routes.keys() ?? []) this.byHost.get(h)?.delete(key);
    if (ing) {
      this.ingresses.set(key, ing);
      for (const h of ing.routes.keys()) {
        const set = this.byHost.get(h) ?? new Set();
        set.add(key);
        this.byHost.set(h, set);
      }
    } else this.ingresses.delete(key);
    for (const h of touched) {
      this.compiled.delete(h);
      if (this.byHost.get(h)?.size === 0) this.byHost.delete(h);
    }
  }

  /** The compiled Ingress by `namespace/name`. */
  ingress(key: string): CompiledIngress | undefined {
    return this.ingresses.get(key);
  }

  /**
   * The winning route for a request: the exact host if any Ingress names it, else its `*.` wildcard,
   * else the catch-all (host-less rules and rule-less defaultBackends).
   */
  match(host: string | undefined, path: string): Route | undefined {
    const server = this.server(host);
    return server?.match(path);
  }

  private server(host: string | undefined): HostRoutes | undefined {
    if (host !== undefined) {
      const h = hostName(host);
      if (this.byHost.has(h)) return this.routesFor(h);
      const dot = h.indexOf(".");
      if (dot > 0) {
        const wildcard = `*${h.slice(dot)}`;
        if (this.byHost.has(wildcard)) return this.routesFor(wildcard);
      }
    }
    return this.byHost.has("") ? this.routesFor("") : undefined;
  }

  private routesFor(host: string): HostRoutes {
    let r = this.compiled.get(host);
    if (!r) {
      const routes: Route[] = [];
      for (const key of this.byHost.get(host) ?? [])
        routes.push(...(this.ingresses.get(key)?.routes.get(host) ?? []));
      r = new HostRoutes(routes);
      this.compiled.set(host, r);
    }
    return r;
  }
}
