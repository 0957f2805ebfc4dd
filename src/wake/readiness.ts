import type { V1Deployment, V1EndpointSlice } from "@kubernetes/client-node";
import type { Clock } from "../clock.js";
import type { Cache } from "../k8s/cache.js";
import { ReadyEndpoints } from "./endpoint-index.js";
import type { WakeTarget } from "./targets.js";

/**
 * Readiness as the ingress sees it: at least one ready endpoint in the Service's EndpointSlices, or
 * Deployment availability when there is no Service. Driven by informer events only, never polling.
 */
export class Readiness {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly readySince = new Map<string, number>();
  /** Ready endpoints per Service, counted from the slice events: a question never lists slices. */
  private readonly endpoints = new ReadyEndpoints();

  constructor(
    private readonly deployments: Cache<V1Deployment>,
    private readonly clock: Clock,
    /** True once the caches hold their first list: readiness seen before that is "since long ago". */
    private readonly synced: () => boolean,
  ) {}

  /** Feed EndpointSlice changes here. */
  onSlice(type: "add" | "update" | "delete", slice: V1EndpointSlice): void {
    for (const svc of this.endpoints.onSlice(type, slice)) this.changed(`svc:${svc}`);
  }

  /** Feed Deployment changes here. */
  onDeployment(dep: V1Deployment): void {
    this.changed(`dep:${dep.metadata?.namespace}/${dep.metadata?.name}`);
  }

  isReady(t: WakeTarget): boolean {
    return this.check(readinessKey(t));
  }

  /** When readiness was first seen (ms since epoch; 0 when it was already ready at start-up). */
  readyAt(t: WakeTarget): number | undefined {
    const key = readinessKey(t);
    if (!this.check(key)) return undefined;
    if (!this.readySince.has(key)) this.readySince.set(key, this.synced() ? this.clock.now() : 0);
    return this.readySince.get(key);
  }

  /** Resolves when the target is ready; rejects with the signal's reason when aborted. */
  waitReady(t: WakeTarget, signal: AbortSignal): Promise<void> {
    const key = readinessKey(t);
    return new Promise<void>((resolve, reject) => {
      const set = this.waiters.get(key) ?? new Set();
      this.waiters.set(key, set);
      const done = (): void => {
        set.delete(check);
        if (set.size === 0) this.waiters.delete(key);
        signal.removeEventListener("abort", aborted);
      };
      const check = (): void => {
        if (this.check(key)) {
          done();
          resolve();
        }
      };
      const aborted = (): void => {
        done();
        reject(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      };
      if (signal.aborted) return aborted();
      set.add(check);
      signal.addEventListener("abort", aborted);
      check();
    });
  }

  private changed(key: string): void {
    const ready = this.check(key);
    if (!ready) this.readySince.delete(key);
    else if (!this.readySince.has(key)) this.readySince.set(key, this.synced() ? this.clock.now() : 0);
    for (const w of [...(this.waiters.get(key) ?? [])]) w();
  }

  private check(key: string): boolean {
    const [kind, rest] = [key.slice(0, 3), key.slice(4)];
    const [namespace = "", name = ""] = rest.split("/");
    if (kind === "svc") return this.endpoints.isReady(namespace, name);
    const dep = this.deployments.get(name, namespace);
    return (dep?.spec?.replicas ?? 0) > 0 && (dep?.status?.availableReplicas ?? 0) > 0;
  }
}

/** Which object's readiness counts for a target. */
export const readinessKey = (t: WakeTarget): string =>
  t.service ? `svc:${t.namespace}/${t.service}` : `dep:${t.namespace}/${t.name}`;
