import type { V1Ingress } from "@kubernetes/client-node";

/** A Service as `namespace/name`. */
export type ServiceKey = string;

interface Route {
  host: string;
  path: string;
  exact: boolean;
  service: ServiceKey;
}

/** Maps a request's host and path to the Services the Ingress rules send it to. */
export class RouteTable {
  private readonly byHost = new Map<string, Route[]>();
  private readonly wildcard: Route[] = [];
  private readonly any: Route[] = [];
  private readonly all: Route[] = [];
  /** Per host seen in the logs, its candidate rules (bounded: cleared when full). */
  private readonly hostCache = new Map<string, Route[]>();

  constructor(ingresses: readonly V1Ingress[]) {
    for (const ing of ingresses) {
      const ns = ing.metadata?.namespace ?? "";
      const def = ing.spec?.defaultBackend?.service?.name;
      if (def) this.add({ host: "", path: "/", exact: false, service: `${ns}/${def}` });
      for (const rule of ing.spec?.rules ?? []) {
        for (const p of rule.http?.paths ?? []) {
          const svc = p.backend.service?.name;
          if (!svc) continue;
          this.add({
            host: (rule.host ?? "").toLowerCase(),
            path: p.path ?? "/",
            exact: p.pathType === "Exact",
            service: `${ns}/${svc}`,
          });
        }
      }
    }
    const longestFirst = (a: Route, b: Route): number => b.path.length - a.path.length;
    for (const list of [...this.byHost.values(), this.wildcard, this.any, this.all]) list.sort(longestFirst);
  }

  /** True when some Ingress rule sends requests to the Service. */
  routes(service: ServiceKey): boolean {
    return this.all.some((r) => r.service === service);
  }

  private add(r: Route): void {
    this.all.push(r);
    if (r.host === "") this.any.push(r);
    else if (r.host.startsWith("*.")) this.wildcard.push(r);
    else this.byHost.set(r.host, [...(this.byHost.get(r.host) ?? []), r]);
  }

  /**
   * The Services a request went to: Ingress semantics (exact host, then `*.` wildcard, then rules
   * without host; longest matching path). Without a host (NGINX `combined`), every host's rules are
   * tried and all equally long matches count.
   */
  lookup(host: string | undefined, path: string | undefined): ServiceKey[] {
    const p = stripQuery(path ?? "/");
    if (host === undefined) {
      const best = this.all.filter((r) => matches(r, p));
      const len = best[0]?.path.length;
      return [...new Set(best.filter((r) => r.path.length === len).map((r) => r.service))];
    }
    let list = this.hostCache.get(host);
    if (!list) {
      list = this.candidates(host);
      if (this.hostCache.size >= 10_000) this.hostCache.clear();
      this.hostCache.set(host, list);
    }
    for (const r of list) if (matches(r, p)) return [r.service];
    return [];
  }

  /** The rules a host may use, most specific first (exact host, `*.` wildcard, no host; longest path first). */
  private candidates(host: string): Route[] {
    const h = stripPort(host.toLowerCase());
    const dot = h.indexOf(".");
    return [
      ...(this.byHost.get(h) ?? []),
      ...(dot > 0 ? this.wildcard.filter((r) => r.host.slice(1) === h.slice(dot)) : []),
      ...this.any,
    ];
  }
}

function matches(r: Route, path: string): boolean {
  if (r.exact) return path === r.path;
  if (r.path === "/" || path === r.path) return true;
  const prefix = r.path.endsWith("/") ? r.path : `${r.path}/`;
  return path.startsWith(prefix);
}

const stripQuery = (p: string): string => {
  const q = p.indexOf("?");
  return q < 0 ? p : p.slice(0, q);
};

const stripPort = (h: string): string => {
  const c = h.lastIndexOf(":");
  return c > 0 && !h.endsWith("]") ? h.slice(0, c) : h;
};

/** `outbound|80||cart.shop.svc.cluster.local` → `shop/cart`; undefined for other upstream names. */
export function envoyClusterService(upstream: string): ServiceKey | undefined {
  const fqdn = upstream.slice(upstream.lastIndexOf("|") + 1);
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.|$)/.exec(fqdn);
  return m ? `${m[2]}/${m[1]}` : undefined;
}
