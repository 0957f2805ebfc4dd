import type { KubeConfig, KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "winston";
import type { Timers } from "../clock.js";
import type { Cache } from "./cache.js";
import { Watched, type ChangeHandler } from "./informer.js";

/** Lists one resource, cluster-wide (namespace undefined) or in one namespace. */
export type Lister<T extends KubernetesObject> = (
  namespace: string | undefined,
) => Promise<KubernetesListObject<T>>;

/** One informer cluster-wide, or one per configured namespace, behind one cache. */
export class WatchSet<T extends KubernetesObject> implements Cache<T> {
  private readonly watched: Watched<T>[];

  constructor(
    kc: KubeConfig,
    /** e.g. (ns) => ns ? `/apis/apps/v1/namespaces/${ns}/deployments` : "/apis/apps/v1/deployments" */
    path: (namespace: string | undefined) => string,
    list: Lister<T>,
    namespaces: readonly string[],
    logger: Logger,
    timers: Timers,
    labelSelector?: string,
    /** Strips what KubeNap never reads from each cached object, in place, before any handler sees it. */
    prune?: (obj: T) => void,
  ) {
    const scopes = namespaces.length === 0 ? [undefined] : namespaces;
    this.watched = scopes.map(
      (ns) =>
        new Watched<T>({
          kc,
          path: path(ns),
          list: () => list(ns),
          logger,
          timers,
          ...(labelSelector !== undefined && { labelSelector }),
        }),
    );
    if (prune) this.onChange((_type, obj) => prune(obj));
  }

  onChange(h: ChangeHandler<T>): void {
    this.watched.forEach((w) => w.onChange(h));
  }

  async start(): Promise<void> {
    await Promise.all(this.watched.map((w) => w.start()));
  }

  stop(): void {
    this.watched.forEach((w) => w.stop());
  }

  get synced(): boolean {
    return this.watched.every((w) => w.synced);
  }

  list(namespace?: string): T[] {
    return this.watched.flatMap((w) => w.list(namespace));
  }

  get(name: string, namespace?: string): T | undefined {
    for (const w of this.watched) {
      const hit = w.get(name, namespace);
      if (hit) return hit;
    }
    return undefined;
  }
}
