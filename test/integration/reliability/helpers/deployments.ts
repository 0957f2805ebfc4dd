import { Watch, type V1Deployment } from "@kubernetes/client-node";
import { clients, testKubeConfig } from "../../helpers/kube.js";

/** What a test checks on every state a Deployment goes through; returns a message when broken. */
export type Invariant = (d: V1Deployment) => string | undefined;

/**
 * Watches every Deployment of a namespace from now on: keeps each one's latest state, lets a test
 * await a condition on the current state (not a past one, unlike ReplicaRecorder.until), records
 * every spec.replicas value each went through, and checks invariants on every state it sees.
 */
export class DeploymentWatch {
  readonly latest = new Map<string, V1Deployment>();
  /** spec.replicas values per Deployment, in order, without repeats. */
  readonly replicas = new Map<string, number[]>();
  readonly violations: string[] = [];
  /** Every state seen, per Deployment, in order. */
  private readonly history = new Map<string, V1Deployment[]>();
  private waiters: { name: string; pred: (d: V1Deployment) => boolean; resolve: () => void }[] = [];
  private controller: AbortController | undefined;
  private stopped = false;

  private constructor(
    private readonly namespace: string,
    private readonly invariants: Invariant[],
  ) {}

  static async start(namespace: string, invariants: Invariant[] = []): Promise<DeploymentWatch> {
    const w = new DeploymentWatch(namespace, invariants);
    await w.listAndWatch();
    return w;
  }

  private async listAndWatch(): Promise<void> {
    const list = await clients().apps.listNamespacedDeployment({ namespace: this.namespace });
    for (const d of list.items) this.record(d);
    this.controller = await new Watch(testKubeConfig()).watch(
      `/apis/apps/v1/namespaces/${this.namespace}/deployments`,
      { resourceVersion: list.metadata?.resourceVersion ?? "", allowWatchBookmarks: "false" },
      (type: string, obj: V1Deployment) => {
        if (type === "ADDED" || type === "MODIFIED") this.record(obj);
      },
      // A watch that ends (server timeout) is resumed by listing again: states in between are
      // still checked, as the list is.
      () => {
        if (!this.stopped) void this.listAndWatch().catch(() => undefined);
      },
    );
  }

  /** A point in the named Deployment's history, for until(…, since). */
  mark(name: string): number {
    return this.history.get(name)?.length ?? 0;
  }

  /**
   * Resolves once the named Deployment's current state satisfies pred, or (with `since`, a mark)
   * any state seen since that mark did; rejects after ms.
   */
  until(name: string, pred: (d: V1Deployment) => boolean, ms = 30_000, since?: number): Promise<void> {
    const now = this.latest.get(name);
    if (now && pred(now)) return Promise.resolve();
    if (since !== undefined && (this.history.get(name) ?? []).slice(since).some(pred))
      return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { name, pred, resolve: () => (clearTimeout(t), resolve()) };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const d = this.latest.get(name);
        reject(
          new Error(
            `${this.namespace}/${name} did not reach ${pred.toString()} within ${ms} ms; now replicas=${d?.spec?.replicas} annotations=${JSON.stringify(d?.metadata?.annotations ?? {})}`,
          ),
        );
      }, ms);
      this.waiters.push(waiter);
    });
  }

  /** How many times spec.replicas of the named Deployment changed from `to`-less to `to`. */
  changesTo(name: string, to: (r: number) => boolean): number {
    return (this.replicas.get(name) ?? []).slice(1).filter(to).length;
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }

  private record(d: V1Deployment): void {
    const name = d.metadata?.name ?? "";
    this.latest.set(name, d);
    const h = this.history.get(name) ?? [];
    h.push(d);
    this.history.set(name, h);
    const seen = this.replicas.get(name) ?? [];
    const r = d.spec?.replicas ?? 1;
    if (seen[seen.length - 1] !== r) seen.push(r);
    this.replicas.set(name, seen);
    for (const inv of this.invariants) {
      const broken = inv(d);
      if (broken) this.violations.push(`${name} (resourceVersion ${d.metadata?.resourceVersion}): ${broken}`);
    }
    this.waiters = this.waiters.filter((w) => (w.name === name && w.pred(d) ? (w.resolve(), false) : true));
  }
}

/** A Deployment at 0 replicas as KubeNap leaves it: kubenap/state asleep and the count to restore. */
export const asleepWith =
  (count: number) =>
  (d: V1Deployment): boolean =>
    d.spec?.replicas === 0 &&
    d.metadata?.annotations?.["kubenap/state"] === "asleep" &&
    d.metadata?.annotations?.["kubenap/replicaCount"] === String(count);

/** A seeded PRNG (mulberry32): the same seed gives the same kill points. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
