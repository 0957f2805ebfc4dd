import type { V1Deployment, V1Ingress, V1Service } from "@kubernetes/client-node";
import { isOptedIn, parsePolicy, type Policy, type PolicyDefaults } from "../annotations/policy.js";
import type { Cache } from "../k8s/cache.js";
import { targetKey } from "../metrics-sources/types.js";

/** A resolved opted-in Deployment and what the wake path needs to know about it. */
export interface WakeTarget {
  namespace: string;
  name: string;
  key: string;
  /** The Service whose EndpointSlices tell readiness; undefined → Deployment availability. */
  service?: string;
  policy: Policy;
  /** spec.replicas as last seen: 0 means asleep, whatever the EndpointSlices still say. */
  replicas: number;
  /** Hosts named by its Ingress; undefined when it has none (redirects are then relative). */
  hosts?: string[];
}

/** Why a request did not resolve to a target. */
export class TargetNotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TargetNotFound";
  }
}

/** What the ingress told us about the failed request. */
export interface Lookup {
  namespace?: string;
  deployment?: string;
  service?: string;
  ingress?: string;
  host?: string;
  path: string;
}

/** Maps ingress error requests to opted-in Deployments, from informer caches. */
export class TargetIndex {
  constructor(
    private readonly deployments: Cache<V1Deployment>,
    private readonly services: Cache<V1Service>,
    private readonly ingresses: Cache<V1Ingress>,
    private readonly defaults: PolicyDefaults,
    private readonly sourceKinds: readonly string[],
  ) {}

  /** Resolution order: explicit target; ingress headers (service, then ingress); Host through Ingress rules. */
  resolve(q: Lookup): WakeTarget {
    if (q.namespace && q.deployment) {
      const dep = this.deployments.get(q.deployment, q.namespace);
      if (!dep || !isOptedIn(dep.metadata?.labels)) {
        throw new TargetNotFound(
          `deployment ${q.namespace}/${q.deployment} does not exist or is not opted in to KubeNap`,
        );
      }
      return this.toTarget(dep);
    }
    const candidates = this.all().filter((t) => !q.namespace || t.namespace === q.namespace);
    if (q.namespace && q.service) {
      const hit = candidates.find((t) => t.service === q.service);
      if (hit) return hit;
    }
    if (q.namespace && q.ingress) {
      const hits = candidates.filter((t) => t.policy.ingress === q.ingress);
      const best = this.bestByRule(hits, q.host, q.path) ?? (hits.length === 1 ? hits[0] : undefined);
      if (best) return best;
    }
    if (q.host) {
      const best = this.bestByRule(candidates, q.host, q.path);
      if (best) return best;
    }
    const what = [
      q.namespace && `namespace ${q.namespace}`,
      q.service && `service ${q.service}`,
      q.ingress && `ingress ${q.ingress}`,
      q.host && `host ${q.host}`,
    ].filter(Boolean);
    throw new TargetNotFound(
      what.length
        ? `no KubeNap-enabled deployment matches ${what.join(", ")}`
        : "the request names no target: use /wake/<namespace>/<deployment> or the ingress's X-Namespace/X-Service-Name headers",
    );
  }

  /** Every opted-in Deployment with a valid policy. */
  all(): WakeTarget[] {
    const out: WakeTarget[] = [];
    for (const dep of this.deployments.list()) {
      if (!isOptedIn(dep.metadata?.labels)) continue;
      try {
        out.push(this.toTarget(dep));
      } catch {
        // invalid annotations: the monitor reports them; such a Deployment cannot be resolved by host
      }
    }
    return out;
  }

  /** The target for a Deployment; throws TargetNotFound when its annotations are invalid. */
  toTarget(dep: V1Deployment): WakeTarget {
    const namespace = dep.metadata?.namespace ?? "";
    const name = dep.metadata?.name ?? "";
    const parsed = parsePolicy(dep.metadata?.annotations, this.defaults, this.sourceKinds);
    if (!parsed.ok) {
      throw new TargetNotFound(`deployment ${namespace}/${name} has invalid kubenap annotations`);
    }
    const policy = parsed.policy;
    const service = policy.service ?? this.matchingService(dep);
    const ing = policy.ingress ? this.ingresses.get(policy.ingress, namespace) : undefined;
    const hosts = ing?.spec?.rules?.map((r) => r.host).filter((h): h is string => !!h);
    return {
      namespace,
      name,
      key: targetKey({ namespace, name }),
      ...(service !== undefined && { service }),
      policy,
      replicas: dep.spec?.replicas ?? 1,
      ...(hosts && hosts.length > 0 && { hosts }),
    };
  }

  private matchingService(dep: V1Deployment): string | undefined {
    const labels = dep.spec?.template?.metadata?.labels ?? {};
    const matches = this.services.list(dep.metadata?.namespace).filter((s) => {
      const sel = s.spec?.selector;
      return sel && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
    });
    return matches.length === 1 ? matches[0]?.metadata?.name : undefined;
  }

  /** The target whose Ingress rule matches host and path best (longest path prefix). */
  private bestByRule(targets: WakeTarget[], host: string | undefined, path: string): WakeTarget | undefined {
    let best: { t: WakeTarget; len: number } | undefined;
    for (const t of targets) {
      if (!t.policy.ingress) continue;
      const ing = this.ingresses.get(t.policy.ingress, t.namespace);
      for (const rule of ing?.spec?.rules ?? []) {
        if (host && rule.host && !hostMatches(rule.host, host)) continue;
        for (const p of rule.http?.paths ?? []) {
          const svc = p.backend?.service?.name;
          if (t.service && svc && svc !== t.service) continue;
          const prefix = p.path ?? "/";
          const ok = p.pathType === "Exact" ? path === prefix : pathHasPrefix(path, prefix);
          if (ok && (!best || prefix.length > best.len)) best = { t, len: prefix.length };
        }
      }
    }
    return best?.t;
  }
}

/** Ingress host match: exact, or a `*.` wildcard covering exactly one more label. */
export function hostMatches(pattern: string, host: string): boolean {
  const h = host.toLowerCase().replace(/:\d+$/, "");
  const p = pattern.toLowerCase();
  if (!p.startsWith("*.")) return p === h;
  const suffix = p.slice(1);
  return h.endsWith(suffix) && !h.slice(0, -suffix.length).includes(".") && h.length > suffix.length;
}

function pathHasPrefix(path: string, prefix: string): boolean {
  const clean = path.split("?")[0] ?? "/";
  if (prefix === "/" || clean === prefix) return true;
  const p = prefix.endsWith("/") ? prefix : `${prefix}/`;
  return clean.startsWith(p);
}
