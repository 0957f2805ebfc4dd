import { Watch, type V1Deployment } from "@kubernetes/client-node";
import { clients, testKubeConfig } from "./kube.js";

/**
 * Watches one Deployment from now on and records every spec.replicas value it goes through, so a
 * test can assert "exactly one scale-up" (not "generation + 1": the wake writes replicas and then
 * annotations, two updates).
 */
export class ReplicaRecorder {
  readonly values: number[] = [];
  private readonly seen: V1Deployment[] = [];
  private waiters: { pred: (d: V1Deployment) => boolean; resolve: () => void }[] = [];
  private controller: AbortController | undefined;

  private constructor(
    private readonly namespace: string,
    private readonly name: string,
  ) {}

  static async start(namespace: string, name: string): Promise<ReplicaRecorder> {
    const r = new ReplicaRecorder(namespace, name);
    const dep = await clients().apps.readNamespacedDeployment({ name, namespace });
    r.record(dep);
    const watch = new Watch(testKubeConfig());
    r.controller = await watch.watch(
      `/apis/apps/v1/namespaces/${namespace}/deployments`,
      {
        fieldSelector: `metadata.name=${name}`,
        resourceVersion: dep.metadata?.resourceVersion ?? "",
      },
      (type: string, obj: V1Deployment) => {
        if (type === "ADDED" || type === "MODIFIED") r.record(obj);
      },
      () => undefined,
    );
    return r;
  }

  /** How many times spec.replicas changed since start. */
  get changes(): number {
    return this.values.length - 1;
  }

  /** Resolves once the Deployment has been seen in a state satisfying pred; rejects after ms. */
  until(pred: (d: V1Deployment) => boolean, ms = 30_000): Promise<void> {
    if (this.seen.some(pred)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(`${this.namespace}/${this.name} never matched; replicas seen ${this.values.join(",")}`),
          ),
        ms,
      );
      this.waiters.push({ pred, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  stop(): void {
    this.controller?.abort();
  }

  private record(d: V1Deployment): void {
    this.seen.push(d);
    const replicas = d.spec?.replicas ?? 1;
    if (this.values[this.values.length - 1] !== replicas) this.values.push(replicas);
    this.waiters = this.waiters.filter((w) => (w.pred(d) ? (w.resolve(), false) : true));
  }
}
