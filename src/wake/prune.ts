import type { V1EndpointSlice, V1Ingress, V1ObjectMeta, V1Service } from "@kubernetes/client-node";

// The informer caches hold every Service, EndpointSlice and Ingress in scope, most of them unrelated
// to KubeNap. These functions reduce each cached object, in place (the cache keeps the very object its
// handlers receive), to what KubeNap reads: memory then grows with what the wake path needs, not with
// managedFields, status and annotations. KubeNap never writes these objects back, so nothing is lost.
// Deployments are not pruned: they are few (opted-in only) and the monitor reads their managedFields.

const SERVICE_NAME = "kubernetes.io/service-name";
const INGRESS_CLASS = "kubernetes.io/ingress.class";

/** The identity fields of metadata, plus the labels and annotations asked for. */
function meta(m: V1ObjectMeta | undefined, labels: string[] = [], annotations: string[] = []): V1ObjectMeta {
  const pick = (
    from: Record<string, string> | undefined,
    keys: string[],
  ): Record<string, string> | undefined => {
    if (!from || keys.length === 0) return undefined;
    const out: Record<string, string> = {};
    for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
    return Object.keys(out).length > 0 ? out : undefined;
  };
  const l = pick(m?.labels, labels);
  const a = pick(m?.annotations, annotations);
  return {
    ...(m?.name !== undefined && { name: m.name }),
    ...(m?.namespace !== undefined && { namespace: m.namespace }),
    ...(m?.uid !== undefined && { uid: m.uid }),
    ...(m?.resourceVersion !== undefined && { resourceVersion: m.resourceVersion }),
    ...(m?.creationTimestamp !== undefined && { creationTimestamp: m.creationTimestamp }),
    ...(l && { labels: l }),
    ...(a && { annotations: a }),
  };
}

/** In-place reducers, one per cached kind. */
export const pruneCached = {
  /** Keeps the selector (which app a Service fronts) and the ports. */
  service: (s: V1Service): void => {
    s.metadata = meta(s.metadata);
    const spec = s.spec;
    s.spec = {
      ...(spec?.selector && { selector: spec.selector }),
      ...(spec?.ports && { ports: spec.ports }),
    };
    delete s.status;
  },

  /** Keeps the Service label and each endpoint's addresses and conditions (readiness). */
  endpointSlice: (e: V1EndpointSlice): void => {
    e.metadata = meta(e.metadata, [SERVICE_NAME]);
    e.endpoints = (e.endpoints ?? []).map((ep) => ({
      addresses: ep.addresses,
      ...(ep.conditions && { conditions: ep.conditions }),
    }));
    delete e.ports;
  },

  /** Keeps the spec (rules, TLS, class, default backend) and the legacy class annotation. */
  ingress: (i: V1Ingress): void => {
    i.metadata = meta(i.metadata, [], [INGRESS_CLASS]);
    delete i.status;
  },
};
