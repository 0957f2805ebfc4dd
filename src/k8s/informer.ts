import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
} from "@kubernetes/client-node";
import { listAllPages, type PagedList } from "./pager.js";
import type { Logger } from "winston";
import { errorFields } from "./errors.js";
import type { Clock, Timers } from "../clock.js";

/** What changed: the object after the change, or the last state of a deleted one. */
export type ChangeHandler<T> = (type: "add" | "update" | "delete", obj: T) => void;

/** Options for a restartable informer. */
export interface WatchOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** API path to watch, e.g. /apis/apps/v1/deployments */
  path: string;
  /** One page of the list; the first list and every re-list go page by page. */
  list: PagedList<T>;
  labelSelector?: string;
  logger: Logger;
  timers: Timers;
  clock: Clock;
  maxBackoffMs?: number;
  /** Server-side watch timeout (randomised up to twice this, as client-go does); then re-watch. */
  watchTimeoutMs?: number;
  /** Transforms objects before they are cached (e.g. drops managedFields). */
  transform?: (obj: T) => T;
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
  /** When the current failure streak began (ms since epoch); undefined while healthy. */
  private failingSince: number | undefined;
  private lastError = "";

  constructor(private readonly opts: WatchOptions<T>) {
    const t = opts.transform;
    const watch = new BoundedWatch(opts.kc, opts.watchTimeoutMs ?? 300_000, opts.timers, t);
    const list: ListPromise<T> = () => listAllPages(opts.list, t);
    this.informer = new ListWatch<T>(opts.path, watch, list, false, opts.labelSelector);
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

  /** How long the list/watch has been failing (0 while healthy), and the last error. */
  health(): { failingForMs: number; lastError: string } {
    const since = this.failingSince;
    return {
      failingForMs: since === undefined ? 0 : Math.max(0, this.opts.clock.now() - since),
      lastError: this.lastError,
    };
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
        if (this.failingSince !== undefined) {
          this.opts.logger.info("watch recovered", { path: this.opts.path });
        }
        this.failingSince = undefined;
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
    this.failingSince ??= this.opts.clock.now();
    this.lastError = errorFields(err).reason;
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

/**
 * A Watch that asks the API server to end each watch after a randomised timeout (client-go's
 * behaviour: the informer then re-watches, and re-lists on 410), and aborts a watch that stays silent
 * past that timeout (a half-open connection): both end in the informer's restart path, never a hang.
 */
class BoundedWatch<T> extends Watch {
  constructor(
    kc: KubeConfig,
    private readonly timeoutMs: number,
    private readonly timers: Timers,
    private readonly transform?: (obj: T) => T,
  ) {
    super(kc);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const seconds = Math.max(1, Math.round((this.timeoutMs * (1 + Math.random())) / 1000));
    const silentMs = seconds * 1000 + Math.min(30_000, this.timeoutMs);
    let finished = false;
    const ref: { controller?: AbortController } = {};
    let watchdog: unknown;
    const finish = (err: unknown): void => {
      if (finished) return;
      finished = true;
      this.timers.clearTimeout(watchdog);
      done(err);
    };
    // Also covers a server that accepts the connection and never answers the watch request.
    const arm = (): void => {
      this.timers.clearTimeout(watchdog);
      watchdog = this.timers.setTimeout(() => {
        finish(new Error(`watch ${path} silent for longer than ${silentMs} ms`));
        ref.controller?.abort();
      }, silentMs);
    };
    arm();
    const controller = await super.watch(
      path,
      { ...queryParams, timeoutSeconds: seconds, allowWatchBookmarks: true },
      (phase, obj, watchObj) => {
        if (finished) return;
        arm();
        const kept: unknown = this.transform && phase !== "ERROR" && obj ? this.transform(obj as T) : obj;
        callback(phase, kept, watchObj);
      },
      finish,
    );
    ref.controller = controller;
    if (finished) controller.abort();
    return controller;
  }
}
