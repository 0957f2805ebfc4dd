// Each opted-in app's wiring: annotations, Service, route, error fallback, HPA, GitOps owner of replicas.
import type { V1Deployment, V1Ingress } from "@kubernetes/client-node";
import { KEYS } from "../../annotations/keys.js";
import { describeProblem, parsePolicy } from "../../annotations/policy.js";
import type { Config } from "../../config/config.js";
import { SOURCE_KINDS } from "../../metrics-sources/index.js";
import { gitOpsReplicasOwner } from "../../monitor/gitops.js";
import { pluginTarget } from "../../proxy-plugins/target.js";
import { fail, firstLine, pass, type Check } from "./check.js";
import type { Custom, NamespaceObjects } from "./cluster.js";

/** KubeNap's wake handler Service (deploy/deployment.yaml), or --wake-service. */
export interface WakeRef {
  namespace: string;
  name: string;
}

const NGINX_BACKEND = "nginx.ingress.kubernetes.io/default-backend";
const NGINX_ERRORS = "nginx.ingress.kubernetes.io/custom-http-errors";
const TRAEFIK_MIDDLEWARES = "traefik.ingress.kubernetes.io/router.middlewares";

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const arr = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === "object" && x !== null) : [];

function ingressRoutesTo(ing: V1Ingress, service: string): boolean {
  if (ing.spec?.defaultBackend?.service?.name === service) return true;
  return (ing.spec?.rules ?? []).some((r) =>
    (r.http?.paths ?? []).some((p) => p.backend.service?.name === service),
  );
}

const ingressRouteTo = (r: Custom, service: string): boolean =>
  arr(r.spec?.routes).some((route) => arr(route.services).some((s) => s.name === service));

const httpRouteTo = (r: Custom, service: string): boolean =>
  arr(r.spec?.rules).some((rule) =>
    arr(rule.backendRefs).some((b) => b.name === service && (b.kind ?? "Service") === "Service"),
  );

/** The fix every Traefik fallback problem shares. */
const traefikFix = (ns: string, name: string): string =>
  `apply the Middleware from kubenap proxy-config traefik ${ns}/${name}`;

/** Checks one Traefik Middleware (namespace/name) is an `errors` middleware sending to the wake Service. */
function middlewareProblem(
  ns: string,
  ref: string,
  objs: NamespaceObjects,
  wake: WakeRef,
): string | undefined {
  const mw = objs.middlewares.find((m) => m.metadata?.name === ref);
  if (!mw) return `Middleware ${ns}/${ref} not found`;
  const errors = mw.spec?.errors as Record<string, unknown> | undefined;
  if (!errors) return `Middleware ${ns}/${ref} has no errors section`;
  const svc = errors.service as Record<string, unknown> | undefined;
  const name = str(svc?.name);
  const namespace = str(svc?.namespace) ?? ns;
  if (name !== wake.name || namespace !== wake.namespace)
    return `Middleware ${ns}/${ref} sends errors to ${namespace}/${name ?? "?"}, not to KubeNap (${wake.namespace}/${wake.name})`;
  return undefined;
}

/** Middleware names in this namespace from a router.middlewares annotation (`<ns>-<name>@kubernetescrd`). */
function annotatedMiddlewares(ing: V1Ingress, ns: string): string[] {
  const list = ing.metadata?.annotations?.[TRAEFIK_MIDDLEWARES] ?? "";
  return list
    .split(",")
    .map((s) => s.trim().replace(/@kubernetescrd$/, ""))
    .filter((s) => s.startsWith(`${ns}-`))
    .map((s) => s.slice(ns.length + 1));
}

const classOf = (ing: V1Ingress): string =>
  ing.spec?.ingressClassName ?? ing.metadata?.annotations?.["kubernetes.io/ingress.class"] ?? "";

/** The error-fallback line for one Ingress. */
function ingressFallback(
  app: string,
  ns: string,
  ing: V1Ingress,
  objs: NamespaceObjects,
  wake: WakeRef,
): Check {
  const name = ing.metadata?.name ?? "";
  const what = `${app}: error fallback of Ingress ${name}`;
  const ann = ing.metadata?.annotations ?? {};
  const cls = classOf(ing);
  if (ann[TRAEFIK_MIDDLEWARES] !== undefined || cls.includes("traefik")) {
    const refs = annotatedMiddlewares(ing, ns);
    const problems = refs.map((r) => middlewareProblem(ns, r, objs, wake));
    if (refs.length > 0 && problems.some((p) => p === undefined))
      return pass(`${what} → Traefik errors Middleware → KubeNap`);
    return fail(
      what,
      problems.find((p) => p) ?? `no ${TRAEFIK_MIDDLEWARES} annotation naming a KubeNap errors Middleware`,
      traefikFix(ns, app.split("/")[1] ?? ""),
    );
  }
  if (ann[NGINX_BACKEND] !== undefined || ann[NGINX_ERRORS] !== undefined || cls.includes("nginx")) {
    const fix = `add the annotations from kubenap proxy-config nginx ${app}`;
    const codes = (ann[NGINX_ERRORS] ?? "").split(",").map((s) => s.trim());
    const missing = ["502", "503", "504"].filter((c) => !codes.includes(c));
    if (missing.length > 0) return fail(what, `${NGINX_ERRORS} lacks ${missing.join(", ")}`, fix);
    const backend = ann[NGINX_BACKEND];
    if (!backend) return fail(what, `no ${NGINX_BACKEND} annotation`, fix);
    const svc = objs.services.find((s) => s.metadata?.name === backend);
    if (!svc) return fail(what, `default backend Service ${ns}/${backend} not found`, fix);
    const target = svc.spec?.type === "ExternalName" ? (svc.spec.externalName ?? "") : `${backend}.${ns}`;
    if (!target.startsWith(`${wake.name}.${wake.namespace}`))
      return fail(
        what,
        `default backend ${ns}/${backend} is not KubeNap (${wake.namespace}/${wake.name})`,
        fix,
      );
    return pass(`${what} → ingress-nginx default backend → KubeNap`);
  }
  return pass(`${what}: not readable from the cluster (class "${cls}"); compare with kubenap proxy-config`);
}

/** Every line for one opted-in app. */
export function appChecks(
  dep: V1Deployment,
  objs: NamespaceObjects,
  cfg: Readonly<Config>,
  wake: WakeRef,
): Check[] {
  const ns = dep.metadata?.namespace ?? "";
  const name = dep.metadata?.name ?? "";
  const app = `${ns}/${name}`;
  const out: Check[] = [];
  const policy = parsePolicy(
    dep.metadata?.annotations,
    {
      idleAfterMs: cfg.idleAfterMs,
      wakeTimeoutMs: cfg.wakeTimeoutMs,
      proxy: cfg.proxy,
      metricsSource: cfg.metricsSource,
    },
    SOURCE_KINDS,
  );
  if (!policy.ok)
    out.push(
      fail(
        `${app}: annotations`,
        policy.problems.map(describeProblem).join("; "),
        "correct them (kubenap run --help lists each key)",
      ),
    );

  const hpa = objs.hpas.find(
    (h) => h.spec?.scaleTargetRef.kind === "Deployment" && h.spec.scaleTargetRef.name === name,
  );
  out.push(
    hpa
      ? fail(
          `${app}: no HorizontalPodAutoscaler`,
          `HPA ${hpa.metadata?.name ?? ""} scales it; KubeNap never puts an app with an HPA to sleep (the HPA would scale it straight back to minReplicas)`,
          `delete the HPA, or remove the label ${KEYS.enabled.key}`,
        )
      : pass(`${app}: no HorizontalPodAutoscaler`),
  );
  const owner = gitOpsReplicasOwner(dep);
  out.push(
    owner
      ? fail(
          `${app}: spec.replicas owner`,
          `"${owner}" manages spec.replicas and scales the app up again after each sleep`,
          "drop spec.replicas from the manifest, or in Argo CD ignoreDifferences on /spec/replicas (RespectIgnoreDifferences=true)",
        )
      : pass(`${app}: spec.replicas not managed by a GitOps tool`),
  );

  let service: string;
  try {
    service = pluginTarget({ deployment: dep, services: objs.services, hosts: ["doctor.invalid"] }).service;
    out.push(pass(`${app}: Service ${service}`));
  } catch (err) {
    out.push(
      fail(
        `${app}: Service`,
        firstLine(err),
        `create one Service selecting the pods (kubectl expose deployment ${name} -n ${ns} --port 80 --target-port <port>), or name it with ${KEYS.service.key}`,
      ),
    );
    return out; // routes and fallbacks are found through the Service
  }

  const ingresses = objs.ingresses.filter((i) => ingressRoutesTo(i, service));
  const ingressRoutes = objs.ingressRoutes.filter((r) => ingressRouteTo(r, service));
  const httpRoutes = objs.httpRoutes.filter((r) => httpRouteTo(r, service));
  const routes = [
    ...ingresses.map((i) => `Ingress ${i.metadata?.name ?? ""}`),
    ...ingressRoutes.map((r) => `IngressRoute ${r.metadata?.name ?? ""}`),
    ...httpRoutes.map((r) => `HTTPRoute ${r.metadata?.name ?? ""}`),
  ];
  if (routes.length === 0) {
    out.push(
      fail(
        `${app}: route to Service ${service}`,
        "no Ingress, IngressRoute or HTTPRoute in the namespace routes to it, so no request can wake it",
        `route it through your ingress (kubenap proxy-config <nginx|traefik|istio|gateway> ${app})`,
      ),
    );
    return out;
  }
  out.push(pass(`${app}: routed by ${routes.join(", ")}`));
  for (const ing of ingresses) out.push(ingressFallback(app, ns, ing, objs, wake));
  for (const r of ingressRoutes) {
    const what = `${app}: error fallback of IngressRoute ${r.metadata?.name ?? ""}`;
    const refs = arr(r.spec?.routes)
      .filter((route) => arr(route.services).some((s) => s.name === service))
      .flatMap((route) => arr(route.middlewares))
      .filter((m) => (str(m.namespace) ?? ns) === ns)
      .map((m) => str(m.name) ?? "");
    const problems = refs.map((ref) => middlewareProblem(ns, ref, objs, wake));
    out.push(
      refs.length > 0 && problems.some((p) => p === undefined)
        ? pass(`${what} → Traefik errors Middleware → KubeNap`)
        : fail(
            what,
            problems.find((p) => p) ?? "no middleware of its route is a KubeNap errors Middleware",
            traefikFix(ns, name),
          ),
    );
  }
  for (const r of httpRoutes) {
    const what = `${app}: error fallback of HTTPRoute ${r.metadata?.name ?? ""}`;
    const refs = arr(r.spec?.rules)
      .flatMap((rule) => arr(rule.filters))
      .map((f) => f.extensionRef as Record<string, unknown> | undefined)
      .filter((e) => e?.kind === "Middleware")
      .map((e) => str(e?.name) ?? "");
    if (refs.length === 0) {
      out.push(
        pass(
          `${what}: not readable from the cluster (no Traefik Middleware filter); compare with kubenap proxy-config gateway ${app}`,
        ),
      );
      continue;
    }
    const problems = refs.map((ref) => middlewareProblem(ns, ref, objs, wake));
    out.push(
      problems.some((p) => p === undefined)
        ? pass(`${what} → Traefik errors Middleware → KubeNap`)
        : fail(
            what,
            problems.find((p) => p) ?? "",
            `apply the HTTPRoute and Middleware from kubenap proxy-config gateway ${app}`,
          ),
    );
  }
  return out;
}
