import {
  makeInformer,
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
} from "@kubernetes/client-node";
import type { Logger } from "winston";
import { errorFields } from "./errors.js";
import type { Timers } from "../clock.js";

/** What changed: the object after the change, or the last state of a deleted one. */
export type ChangeHandler<T> = (type: "add" | "update" | "delete", obj: T) => void;

/** Options for a restartable informer. */
export interface WatchOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** API path to watch, e.g. /apis/apps/v1/deployments */
  path: string;
  list: ListPromise<T>;
  labelSelector?: string;
  logger: Logger;
  timers: Timers;
  maxBackoffMs?: number;
}

/**
 * A client-node informer that we restart ourselves: client-node stops on most watch errors and only
 * re-lists by itself after a 410. Handlers must be idempotent: events repeat after a reconnect.
 */
export class Watched<T extends KubernetesObject> {
  private readonly informer;
  private readonly handlers: ChangeHandler<T>[] = [];
  private backoffMs = 500;
  private restartTimer: unknown;
  private stopped = false;
  private syncedOnce = false;
  private readonly syncWaiters: (() => void)[] = [];
  /** True while the last list/watch succeeded; false after an error until the next successful list. */
  healthy = false;

  constructor(private readonly opts: WatchOptions<T>) {
    this.informer = makeInformer<T>(opts.kc, opts.path, opts.list, opts.labelSelector);
    this.informer.on("add", (o) => this.emit("add", o));
    this.informer.on("update", (o) => this.emit("update", o));
    this.informer.on("delete", (o) => this.emit("delete", o));
    this.informer.on("error", (err) => this.onError(err));
  }

  /** Registers a change handler; call before start so the initial list is seen. */
  onChange(h: ChangeHandler<T>): void {
    this.handlers.push(h);
  }

  /** Starts watching; resolves once the first list succeeded (retries with backoff until then). */
  async start(): Promise<void> {
    this.stopped = false;
    this.run();
    if (this.syncedOnce) return;
    await new Promise<void>((resolve) => this.syncWaiters.push(resolve));
  }

  /** True once the first list has been applied. */
  get synced(): boolean {
    return this.syncedOnce;
  }

  stop(): void {
    this.stopped = true;
    if (this.restartTimer !== undefined) this.opts.timers.clearTimeout(this.restartTimer);
    void this.informer.stop().catch(() => undefined);
  }

  list(namespace?: string): T[] {
    return [...this.informer.list(namespace)];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  private run(): void {
    let failed = false;
    const onErr = (): void => {
      failed = true;
    };
    this.informer.on("error", onErr);
    this.informer
      .start()
      .then(() => {
        this.informer.off("error", onErr);
        if (failed || this.stopped) return;
        this.healthy = true;
        this.backoffMs = 500;
        if (!this.syncedOnce) {
          this.syncedOnce = true;
          this.syncWaiters.splice(0).forEach((w) => w());
        }
      })
      .catch((err: unknown) => {
        this.informer.off("error", onErr);
        this.onError(err);
      });
  }

  private emit(type: "add" | "update" | "delete", obj: T): void {
    for (const h of this.handlers) {
      try {
        h(type, obj);
      } catch (err) {
        this.opts.logger.error("informer handler failed", { path: this.opts.path, ...errorFields(err) });
      }
    }
  }

  private onError(err: unknown): void {
    this.healthy = false;
    if (this.stopped || this.restartTimer !== undefined) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 30_000);
    this.opts.logger.warn("watch failed; restarting", {
      path: this.opts.path,
      delayMs: delay,
      ...errorFields(err),
    });
    this.restartTimer = this.opts.timers.setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) this.run();
    }, delay);
  }
}
