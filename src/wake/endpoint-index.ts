import type { V1EndpointSlice } from "@kubernetes/client-node";

const SERVICE_LABEL = "kubernetes.io/service-name";

/**
 * Ready endpoints per Service, kept from EndpointSlice events: an event updates one slice's count and
 * a readiness question is one map read, so neither re-lists a namespace's slices.
 */
export class ReadyEndpoints {
  /** `namespace/service` → slice name → ready endpoints in it. */
  private readonly bySvc = new Map<string, Map<string, number>>();
  /** `namespace/slice` → the Service it was last counted under (a slice's label can change). */
  private readonly sliceSvc = new Map<string, string>();

  /** Feed EndpointSlice changes; returns the Services (`namespace/name`) whose count may have changed. */
  onSlice(type: "add" | "update" | "delete", slice: V1EndpointSlice): string[] {
    const ns = slice.metadata?.namespace ?? "";
    const name = slice.metadata?.name ?? "";
    const sliceKey = `${ns}/${name}`;
    const before = this.sliceSvc.get(sliceKey);
    if (before !== undefined) {
      const m = this.bySvc.get(before);
      m?.delete(name);
      if (m?.size === 0) this.bySvc.delete(before);
      this.sliceSvc.delete(sliceKey);
    }
    const svc = slice.metadata?.labels?.[SERVICE_LABEL];
    const touched = before !== undefined ? [before] : [];
    if (type === "delete" || !svc) return touched;
    const ready = (slice.endpoints ?? []).filter(
      (e) => e.conditions?.ready !== false && e.addresses.length > 0,
    ).length;
    const svcKey = `${ns}/${svc}`;
    const m = this.bySvc.get(svcKey) ?? new Map<string, number>();
    m.set(name, ready);
    this.bySvc.set(svcKey, m);
    this.sliceSvc.set(sliceKey, svcKey);
    return svcKey === before ? touched : [...touched, svcKey];
  }

  /** True when the Service has at least one ready endpoint. */
  isReady(namespace: string, service: string): boolean {
    for (const n of this.bySvc.get(`${namespace}/${service}`)?.values() ?? []) if (n > 0) return true;
    return false;
  }
}
