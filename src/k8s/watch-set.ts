import type { KubeConfig, KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "winston";
import type { Clock, Timers } from "../clock.js";
import type { Cache } from "./cache.js";
import { Watched, type ChangeHandler } from "./informer.js";
import type { ListPage } from "./pager.js";

/** Lists one page of a resource, cluster-wide (namespace undefined) or in one namespace. */
export type Lister<T extends KubernetesObject> = (
  namespace: string | undefined,
  page: ListPage,
) => Promise<KubernetesListObject<T>>;

/** What a WatchSet watches and how. */
export interface WatchSetOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** Short name for logs, metrics and /readyz, e.g. "endpointslices". */
  resource: string;
  /** e.g. (ns) => ns ? `/apis/apps/v1/namespaces/${ns}/deployments` : "/apis/apps/v1/deployments" */
  path: (namespace: string | undefined) => string;
  list: Lister<T>;
  namespaces: readonly string[];
  logger: Logger;
  clock: Clock & Timers;
  labelSelector?: string;
  watchTimeoutMs?: number;
  transform?: (obj: T) => T;
}

/** One informer cluster-wide, or one per configured namespace, behind one cache. */
export class WatchSet<T extends KubernetesObject> implements Cache<T> {
  private readonly watched: Watched<T>[];
  readonly resource: string;

  constructor(o: WatchSetOptions<T>) {
    this.resource = o.resource;
    const scopes = o.namespaces.length === 0 ? [undefined] : o.namespaces;
    this.watched = scopes.map(
      (ns) =>
        new Watched<T>({
          kc: o.kc,
          path: o.path(ns),
          list: (page) => o.list(ns, page),
          logger: o.logger,
          timers: o.clock,
          clock: o.clock,
          ...(o.labelSelector !== undefined && { labelSelector: o.labelSelector }),
          ...(o.watchTimeoutMs !== undefined && { watchTimeoutMs: o.watchTimeoutMs }),
          ...(o.transform !== undefined && { transform: o.transform }),
        }),
    );
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

  /** The longest current failure streak of its watches, and that watch's last error. */
  health(): { failingForMs: number; lastError: string } {
    let worst = { failingForMs: 0, lastError: "" };
    for (const w of this.watched) {
      const h = w.health();
      if (h.failingForMs > worst.failingForMs) worst = h;
    }
    return worst;
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
