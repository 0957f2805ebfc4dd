import { Watch, type KubeConfig, type V1Deployment, type V1EndpointSlice } from "@kubernetes/client-node";

/**
 * Resolves once the Service has a ready endpoint (or, without a Service, the Deployment an available
 * replica), from a watch: its first events are the objects as they are, then every change. Rejects
 * after timeoutMs.
 */
export function waitReady(
  kc: KubeConfig,
  o: { namespace: string; name: string; service?: string; timeoutMs: number },
): Promise<void> {
  const watch = new Watch(kc);
  const counts = new Map<string, number>();
  return new Promise<void>((resolve, reject) => {
    let controller: AbortController | undefined;
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller?.abort();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(
      () => finish(new Error(`not ready within ${Math.round(o.timeoutMs / 1000)} s`)),
      o.timeoutMs,
    );
    const onEvent = o.service
      ? (type: string, slice: V1EndpointSlice): void => {
          const ready = (slice.endpoints ?? []).filter(
            (e) => e.conditions?.ready !== false && e.addresses.length > 0,
          ).length;
          counts.set(slice.metadata?.name ?? "", type === "DELETED" ? 0 : ready);
          if ([...counts.values()].some((n) => n > 0)) finish();
        }
      : (_type: string, dep: V1Deployment): void => {
          if ((dep.status?.availableReplicas ?? 0) > 0) finish();
        };
    const path = o.service
      ? `/apis/discovery.k8s.io/v1/namespaces/${o.namespace}/endpointslices`
      : `/apis/apps/v1/namespaces/${o.namespace}/deployments`;
    const query = o.service
      ? { labelSelector: `kubernetes.io/service-name=${o.service}` }
      : { fieldSelector: `metadata.name=${o.name}` };
    watch
      .watch(path, query, onEvent as (type: string, obj: unknown) => void, (err?: unknown) => {
        if (!settled) finish(err instanceof Error ? err : new Error("the watch ended"));
      })
      .then((c) => {
        controller = c;
        if (settled) c.abort();
      })
      .catch((err: unknown) => finish(err instanceof Error ? err : new Error(String(err))));
  });
}
