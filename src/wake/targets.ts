import type { V1Deployment, V1Ingress, V1Service } from "@kubernetes/client-node";
import {
  isOptedIn,
  type AnnotationProblem,
  type Policy,
  type PolicyDefaults,
} from "../annotations/policy.js";
import { targetKey } from "../metrics-sources/types.js";
import { BadWakeRequest } from "./errors.js";
import { GatewayHosts, type Gateway, type HTTPRoute } from "./gateway-hosts.js";
import { parseLenient } from "./lenient-policy.js";
import { compileIngress, ingressClassOf, RouteTable, type CompiledIngress, type Route } from "./routes.js";

export { hostMatches } from "./routes.js";

/** A resolved opted-in Deployment and what the wake path needs to know about it. */
export interface WakeTarget {
  namespace: string;
  name: string;
  key: string;
  /** The Service whose EndpointSlices tell readiness; undefined → Deployment availability. */
  service?: string;
  /** Always usable: invalid annotations fall back to their defaults (see `problems`). */
  policy: Policy;
  /** The invalid kubenap/* annotations, if any: the waker reports them (InvalidAnnotation). */
  problems?: AnnotationProblem[];
  /** spec.replicas as last seen: 0 means asleep, whatever the EndpointSlices still say. */
  replicas: number;
  /** Hosts a redirect may name: the matched Ingress's, else every Ingress routing to the app. */
  hosts?: string[];
  /** Those of `hosts` that the same Ingresses serve over TLS. */
  tlsHosts?: string[];
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

/** Options of the index. */
export interface TargetIndexOptions {
  defaults: PolicyDefaults;
  sourceKinds: readonly string[];
  /** Only Ingresses of this class count (spec.ingressClassName or the legacy annotation); "" = all. */
  ingressClass?: string;
}

interface App {
  namespace: string;
  name: string;
  key: string;
  policy: Policy;
  problems: AnnotationProblem[];
  replicas: number;
  podLabels: Record<string, string>;
}

const k = (namespace: string, name: string): string => `${namespace}/${name}`;

function addTo<V>(m: Map<string, Set<V>>, key: string, v: V): void {
  const s = m.get(key) ?? new Set<V>();
  s.add(v);
  m.set(key, s);
}
function removeFrom<V>(m: Map<string, Set<V>>, key: string, v: V): void {
  const s = m.get(key);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(key);
}
const only = <V>(s: Set<V> | undefined): V | undefined =>
  s && s.size === 1 ? s.values().next().value : undefined;

function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  let any = false;
  for (const [key, v] of Object.entries(selector)) {
    if (labels[key] !== v) return false;
    any = true;
  }
  return any;
}

/**
 * Maps ingress error requests to opted-in Deployments. Kept up to date from informer events (feed
 * `onDeployment`, `onService`, `onIngress`), so a request costs a few map reads whatever the number
 * of apps: annotations are parsed once per Deployment change, Service selectors matched once per
 * Service or pod-label change, Ingress rules compiled once per Ingress change.
 */
export class TargetIndex {
  private readonly apps = new Map<string, App>();
  private readonly appsByNs = new Map<string, Set<string>>();
  private readonly selectors = new Map<string, Record<string, string>>();
  private readonly servicesByNs = new Map<string, Set<string>>();
  /** Service key → keys of the apps whose pods it selects. */
  private readonly selected = new Map<string, Set<string>>();
  /** App key → keys of the Services selecting its pods. */
  private readonly selectedBy = new Map<string, Set<string>>();
  /** Service key → keys of the apps naming it in kubenap/service. */
  private readonly named = new Map<string, Set<string>>();
  /** Service key → keys of the Ingresses with a backend naming it. */
  private readonly ingressesByService = new Map<string, Set<string>>();
  private readonly routes = new RouteTable();
  private readonly gateway = new GatewayHosts();

  constructor(private readonly o: TargetIndexOptions) {}

  /** Feed Deployment changes (the cache holds only opted-in ones; others are ignored anyway). */
  onDeployment(type: "add" | "update" | "delete", dep: V1Deployment): void {
    const namespace = dep.metadata?.namespace ?? "";
    const name = dep.metadata?.name ?? "";
    const key = k(namespace, name);
    const old = this.apps.get(key);
    if (old) {
      if (old.policy.service) removeFrom(this.named, k(namespace, old.policy.service), key);
    }
    if (type === "delete" || !isOptedIn(dep.metadata?.labels)) {
      this.apps.delete(key);
      removeFrom(this.appsByNs, namespace, key);
      for (const svc of this.selectedBy.get(key) ?? []) removeFrom(this.selected, svc, key);
      this.selectedBy.delete(key);
      return;
    }
    const { policy, problems } = parseLenient(dep.metadata?.annotations, this.o.defaults, this.o.sourceKinds);
    const app: App = {
      namespace,
      name,
      key,
      policy,
      problems,
      replicas: dep.spec?.replicas ?? 1,
      podLabels: dep.spec?.template?.metadata?.labels ?? {},
    };
    this.apps.set(key, app);
    addTo(this.appsByNs, namespace, key);
    if (policy.service) addTo(this.named, k(namespace, policy.service), key);
    if (!old || !sameLabels(old.podLabels, app.podLabels)) {
      for (const svc of this.selectedBy.get(key) ?? []) removeFrom(this.selected, svc, key);
      this.selectedBy.delete(key);
      for (const name of this.servicesByNs.get(namespace) ?? []) {
        const svcKey = k(namespace, name);
        if (selects(this.selectors.get(svcKey), app.podLabels)) {
          addTo(this.selected, svcKey, key);
          addTo(this.selectedBy, key, svcKey);
        }
      }
    }
  }

  /** Feed Service changes. */
  onService(type: "add" | "update" | "delete", svc: V1Service): void {
    const namespace = svc.metadata?.namespace ?? "";
    const name = svc.metadata?.name ?? "";
    const key = k(namespace, name);
    const selector = svc.spec?.selector;
    const old = this.selectors.get(key);
    if (type !== "delete" && old && selector && sameLabels(old, selector)) return;
    for (const app of this.selected.get(key) ?? []) removeFrom(this.selectedBy, app, key);
    this.selected.delete(key);
    if (type === "delete") {
      this.selectors.delete(key);
      removeFrom(this.servicesByNs, namespace, name);
      return;
    }
    this.selectors.set(key, selector ?? {});
    addTo(this.servicesByNs, namespace, name);
    for (const appKey of this.appsByNs.get(namespace) ?? []) {
      const app = this.apps.get(appKey);
      if (app && selects(selector, app.podLabels)) {
        addTo(this.selected, key, appKey);
        addTo(this.selectedBy, appKey, key);
      }
    }
  }

  /** Feed Gateway API HTTPRoute changes: their hostnames become the app's redirect hosts. */
  onHTTPRoute(type: "add" | "update" | "delete", route: HTTPRoute): void {
    this.gateway.onRoute(type, route);
  }

  /** Feed Gateway changes: an HTTPS listener makes https the default scheme for its routes' hosts. */
  onGateway(type: "add" | "update" | "delete", gateway: Gateway): void {
    this.gateway.onGateway(type, gateway);
  }

  /** Feed Ingress changes. Ingresses of another class (with --ingress-class) are left out. */
  onIngress(type: "add" | "update" | "delete", ing: V1Ingress): void {
    const key = k(ing.metadata?.namespace ?? "", ing.metadata?.name ?? "");
    const old = this.routes.ingress(key);
    for (const svc of old?.services ?? [])
      removeFrom(this.ingressesByService, k(old?.namespace ?? "", svc), key);
    const counts = type !== "delete" && (!this.o.ingressClass || ingressClassOf(ing) === this.o.ingressClass);
    const compiled = counts ? compileIngress(ing) : undefined;
    this.routes.set(key, compiled);
    for (const svc of compiled?.services ?? [])
      addTo(this.ingressesByService, k(compiled?.namespace ?? "", svc), key);
  }

  /**
   * Resolution: the explicit target, else what the ingress headers name (Service, then Ingress); the
   * Host (with the path) through the Ingress rules must agree with them, or the request is refused
   * (400). Without headers, the Host and path alone, through the Ingress rules.
   */
  resolve(q: Lookup): WakeTarget {
    const hostRoute = q.host !== undefined ? this.routes.match(q.host, q.path) : undefined;
    let claim: { app?: App; service?: string; route?: Route; what: string } | undefined;
    if (q.namespace && q.deployment) {
      const app = this.apps.get(k(q.namespace, q.deployment));
      if (!app) {
        throw new TargetNotFound(
          `deployment ${q.namespace}/${q.deployment} does not exist or is not opted in to KubeNap`,
        );
      }
      claim = { app, what: `deployment ${app.key}` };
    } else if (q.namespace && q.service) {
      const app = this.appForService(q.namespace, q.service);
      claim = { ...(app && { app }), service: q.service, what: `service ${q.namespace}/${q.service}` };
    } else if (q.namespace && q.ingress) {
      const ing = this.routes.ingress(k(q.namespace, q.ingress));
      const route = ing && this.matchWithin(ing, q.host, q.path);
      const app = route && this.appForService(route.namespace, route.service);
      claim = { ...(app && { app }), ...(route && { route }), what: `ingress ${q.namespace}/${q.ingress}` };
    }

    if (claim) {
      if (hostRoute && !this.agrees(hostRoute, claim)) {
        const other = this.appForService(hostRoute.namespace, hostRoute.service);
        throw new BadWakeRequest(
          400,
          `the Host ${q.host ?? ""} routes to ${other ? `deployment ${other.key}` : `service ${hostRoute.namespace}/${hostRoute.service}`} (Ingress ${hostRoute.ingress}), but the request names ${claim.what}`,
        );
      }
      if (!claim.app) throw new TargetNotFound(`no KubeNap-enabled deployment matches ${claim.what}`);
      const via = hostRoute ?? claim.route;
      const service =
        claim.service ??
        (via && this.fronts(via, claim.app) ? via.service : undefined) ??
        this.serviceOf(claim.app);
      return this.toTarget(claim.app, service, via && this.fronts(via, claim.app) ? via.ingress : undefined);
    }

    if (hostRoute) {
      const app = this.appForService(hostRoute.namespace, hostRoute.service);
      if (q.namespace && hostRoute.namespace !== q.namespace) {
        throw new BadWakeRequest(
          400,
          `the Host ${q.host ?? ""} routes to namespace ${hostRoute.namespace} (Ingress ${hostRoute.ingress}), but the request names namespace ${q.namespace}`,
        );
      }
      if (!app) {
        throw new TargetNotFound(
          `the Ingress ${hostRoute.ingress} routes host ${q.host ?? ""} to service ${hostRoute.namespace}/${hostRoute.service}, which fronts no single KubeNap-enabled deployment`,
        );
      }
      return this.toTarget(app, hostRoute.service, hostRoute.ingress);
    }
    const what = [q.namespace && `namespace ${q.namespace}`, q.host && `host ${q.host}`].filter(Boolean);
    throw new TargetNotFound(
      what.length
        ? `no KubeNap-enabled deployment matches ${what.join(", ")}`
        : "the request names no target: use /wake/<namespace>/<deployment> or the ingress's X-Namespace/X-Service-Name headers",
    );
  }

  /** The target for an opted-in Deployment by name (status pages), or undefined. */
  target(namespace: string, name: string): WakeTarget | undefined {
    const app = this.apps.get(k(namespace, name));
    return app && this.toTarget(app, this.serviceOf(app), undefined);
  }

  /** How many opted-in Deployments the index holds. */
  get size(): number {
    return this.apps.size;
  }

  /** The single app a Service fronts: the one naming it in kubenap/service, else the one it selects. */
  private appForService(namespace: string, service: string): App | undefined {
    const svcKey = k(namespace, service);
    const named = this.named.get(svcKey);
    if (named && named.size > 0) {
      const key = only(named);
      return key === undefined ? undefined : this.apps.get(key);
    }
    const key = only(this.selected.get(svcKey));
    return key === undefined ? undefined : this.apps.get(key);
  }

  /** True when a route's backend Service belongs to the app (named by it, or selecting its pods). */
  private fronts(r: Route, app: App): boolean {
    if (r.namespace !== app.namespace) return false;
    const svcKey = k(r.namespace, r.service);
    return app.policy.service === r.service || (this.selectedBy.get(app.key)?.has(svcKey) ?? false);
  }

  private agrees(r: Route, claim: { app?: App; service?: string; route?: Route }): boolean {
    if (claim.app) return this.fronts(r, claim.app);
    if (claim.route) return r.ingress === claim.route.ingress && r.service === claim.route.service;
    return claim.service !== undefined && r.service === claim.service;
  }

  /** The route within one Ingress for a host and path; any host of it when the Host is not one. */
  private matchWithin(ing: CompiledIngress, host: string | undefined, path: string): Route | undefined {
    const table = new RouteTable();
    table.set(ing.key, ing);
    const hit = table.match(host, path);
    if (hit) return hit;
    const all = [...ing.routes.values()].flat();
    const services = new Set(all.map((r) => r.service));
    return services.size === 1 ? all[0] : undefined;
  }

  /** The readiness Service of an app: kubenap/service, else the single one selecting it, else the single one an Ingress routes to. */
  private serviceOf(app: App): string | undefined {
    if (app.policy.service) return app.policy.service;
    const svcs = [...(this.selectedBy.get(app.key) ?? [])];
    if (svcs.length === 1) return svcs[0]?.slice(app.namespace.length + 1);
    const routed = svcs.filter((s) => (this.ingressesByService.get(s)?.size ?? 0) > 0);
    return routed.length === 1 ? routed[0]?.slice(app.namespace.length + 1) : undefined;
  }

  private toTarget(app: App, service: string | undefined, viaIngress: string | undefined): WakeTarget {
    const ingresses = viaIngress ? [viaIngress] : this.ingressesOf(app);
    const hosts = new Set<string>();
    const tls = new Set<string>();
    for (const key of ingresses) {
      const ing = this.routes.ingress(key);
      ing?.hosts.forEach((h) => hosts.add(h));
      ing?.tlsHosts.forEach((h) => tls.add(h));
    }
    if (!viaIngress) {
      const gw = this.gateway.hostsOf(this.servicesOf(app));
      gw.hosts.forEach((h) => hosts.add(h));
      gw.tlsHosts.forEach((h) => tls.add(h));
    }
    return {
      namespace: app.namespace,
      name: app.name,
      key: targetKey(app),
      ...(service !== undefined && { service }),
      policy: app.policy,
      ...(app.problems.length > 0 && { problems: app.problems }),
      replicas: app.replicas,
      ...(hosts.size > 0 && { hosts: [...hosts] }),
      ...(tls.size > 0 && { tlsHosts: [...tls] }),
    };
  }

  /** Every Ingress routing to one of the app's Services, and the one it names in kubenap/ingress. */
  private ingressesOf(app: App): string[] {
    const out = new Set<string>();
    if (app.policy.ingress) {
      const named = k(app.namespace, app.policy.ingress);
      if (this.routes.ingress(named)) out.add(named);
    }
    for (const s of this.servicesOf(app))
      for (const ing of this.ingressesByService.get(s) ?? []) out.add(ing);
    return [...out];
  }

  /** The app's Services (`namespace/name`): those selecting its pods and the one kubenap/service names. */
  private servicesOf(app: App): Set<string> {
    const svcs = new Set(this.selectedBy.get(app.key) ?? []);
    if (app.policy.service) svcs.add(k(app.namespace, app.policy.service));
    return svcs;
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((key) => a[key] === b[key]);
}
