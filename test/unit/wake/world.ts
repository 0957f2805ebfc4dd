import type { V1Deployment, V1Ingress, V1IngressRule, V1Service } from "@kubernetes/client-node";
import type { PolicyDefaults } from "../../../src/annotations/policy.js";
import { TargetIndex } from "../../../src/wake/targets.js";

/** Controller defaults used by the wake unit tests. */
export const DEFAULTS: PolicyDefaults = {
  idleAfterMs: 900_000,
  wakeTimeoutMs: 300_000,
  proxy: "nginx",
  metricsSource: "none",
};

/** An opted-in Deployment whose pods carry `app: <name>` (or the labels given). */
export function dep(
  namespace: string,
  name: string,
  o: {
    annotations?: Record<string, string>;
    podLabels?: Record<string, string>;
    replicas?: number;
    optIn?: boolean;
  } = {},
): V1Deployment {
  return {
    metadata: {
      namespace,
      name,
      labels: o.optIn === false ? {} : { "kubenap/enabled": "true" },
      annotations: o.annotations ?? {},
    },
    spec: {
      replicas: o.replicas ?? 0,
      selector: {},
      template: { metadata: { labels: o.podLabels ?? { app: name } } },
    },
  };
}

/** A Service selecting `app: <selects>` (or the selector given). */
export function svc(namespace: string, name: string, selects: string | Record<string, string>): V1Service {
  return {
    metadata: { namespace, name },
    spec: { selector: typeof selects === "string" ? { app: selects } : selects },
  };
}

/** One path of a rule: [pathType, path, service]. */
export type P = ["Exact" | "Prefix" | "ImplementationSpecific", string, string];

/** A rule for a host (undefined: host-less) with paths. */
export const rule = (host: string | undefined, ...paths: P[]): V1IngressRule => ({
  ...(host !== undefined && { host }),
  http: {
    paths: paths.map(([pathType, path, service]) => ({
      pathType,
      path,
      backend: { service: { name: service, port: { number: 80 } } },
    })),
  },
});

/** An Ingress. */
export function ing(
  namespace: string,
  name: string,
  rules: V1IngressRule[],
  o: { created?: string; className?: string; defaultBackend?: string; tls?: { hosts?: string[] }[] } = {},
): V1Ingress {
  return {
    metadata: { namespace, name, creationTimestamp: new Date(o.created ?? "2026-01-01T00:00:00Z") },
    spec: {
      rules,
      ...(o.className && { ingressClassName: o.className }),
      ...(o.defaultBackend && {
        defaultBackend: { service: { name: o.defaultBackend, port: { number: 80 } } },
      }),
      ...(o.tls && { tls: o.tls }),
    },
  };
}

/** An index fed with the objects, in the order given. */
export function world(
  objs: (V1Deployment | V1Service | V1Ingress)[],
  o: { ingressClass?: string; sourceKinds?: string[] } = {},
): TargetIndex {
  const index = new TargetIndex({
    defaults: DEFAULTS,
    sourceKinds: o.sourceKinds ?? ["none", "prometheus"],
    ...(o.ingressClass !== undefined && { ingressClass: o.ingressClass }),
  });
  for (const obj of objs) {
    if ("template" in (obj.spec ?? {})) index.onDeployment("add", obj as V1Deployment);
    else if ("selector" in (obj.spec ?? {})) index.onService("add", obj as V1Service);
    else index.onIngress("add", obj as V1Ingress);
  }
  return index;
}
