import type { V1Deployment } from "@kubernetes/client-node";
import type { Logger } from "winston";
import { wakeAnnotations } from "../annotations/writes.js";
import { KEYS } from "../annotations/keys.js";
import {
  describeProblem,
  parsePolicy,
  parseReplicaCount,
  type PolicyDefaults,
} from "../annotations/policy.js";
import type { Clock, Timers } from "../clock.js";
import type { DeploymentScaler } from "../k8s/deployments.js";
import { errorFields } from "../k8s/errors.js";
import type { EventSink } from "../k8s/events.js";
import { WakeTimeoutError } from "./errors.js";
import type { WakeMetrics } from "./metrics.js";
import type { Readiness } from "./readiness.js";
import type { WakeTarget } from "./targets.js";

/** What the waker needs. */
export interface WakerDeps {
  /** `annotate` records the wake; it may resolve "asleep" when the app was put to sleep meanwhile. */
  scaler: Pick<DeploymentScaler, "wake"> & {
    annotate(...args: Parameters<DeploymentScaler["annotate"]>): Promise<unknown>;
  };
  /** The Deployment as the informer last saw it, so Events carry its uid (kubectl describe shows them). */
  lookup?: (namespace: string, name: string) => V1Deployment | undefined;
  readiness: Readiness;
  events: EventSink;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  metrics: WakeMetrics;
  defaults: PolicyDefaults;
  sourceKinds: readonly string[];
  /** How long a failed wake answers 504 at once before a new attempt may start. */
  failureMemoryMs?: number;
}

/** A wake in flight, shared by every request for the same app. */
export interface Flight {
  startedAt: number;
  done: Promise<number>;
}

/**
 * Single flight per Deployment: concurrent requests share one scale-up and one readiness watch.
 * `done` resolves with the time readiness was observed.
 */
export class Waker {
  private readonly flights = new Map<string, Flight>();
  private readonly failures = new Map<string, { at: number; error: Error }>();

  constructor(private readonly d: WakerDeps) {}

  /** The wake in flight for a target, if any. */
  inFlight(t: WakeTarget): Flight | undefined {
    return this.flights.get(t.key);
  }

  /** A recent failure (WakeTimeout) to answer at once instead of starting again. */
  recentFailure(t: WakeTarget): Error | undefined {
    const f = this.failures.get(t.key);
    if (!f) return undefined;
    if (this.d.clock.now() - f.at > (this.d.failureMemoryMs ?? 30_000)) {
      this.failures.delete(t.key);
      return undefined;
    }
    return f.error;
  }

  /** Joins or starts the wake for a target. */
  wake(t: WakeTarget): Flight {
    const existing = this.flights.get(t.key);
    if (existing) return existing;
    const startedAt = this.d.clock.now();
    const flight: Flight = { startedAt, done: this.run(t, startedAt) };
    this.flights.set(t.key, flight);
    flight.done.then(
      () => this.flights.delete(t.key),
      () => this.flights.delete(t.key),
    );
    return flight;
  }

  private async run(t: WakeTarget, startedAt: number): Promise<number> {
    const log = this.d.logger.child({ component: "waker", namespace: t.namespace, deployment: t.name });
    const timeout = new AbortController();
    const timer = this.d.timers.setTimeout(
      () => timeout.abort(new WakeTimeoutError(t.key, t.policy.wakeTimeoutMs)),
      t.policy.wakeTimeoutMs,
    );
    try {
      // The scale-up is bound to the wake timeout: a hung API call cannot keep the flight open.
      const { scaled, deployment } = await untilAborted(
        this.d.scaler.wake(t.namespace, t.name, (dep) => this.replicasFor(dep, log), timeout.signal),
        timeout.signal,
      );
      if (scaled) {
        const replicas = deployment.spec?.replicas ?? 1;
        this.d.events.normal(deployment, "Woken", `woken by a request: scaled 0 → ${replicas} replicas`);
        log.info("scaled up", { replicas });
      }
      // The wake is recorded once the app is ready (or the wait ends): a second update during the
      // rollout would make the deployment controller sync annotations to the ReplicaSet meanwhile.
      const ready = this.d.readiness.waitReady(t, timeout.signal);
      // Also a wake that an earlier KubeNap scaled but could not record (it stopped in between).
      const unrecorded = deployment.metadata?.annotations?.[KEYS.state.key] === "asleep";
      if (scaled || unrecorded) void ready.finally(() => this.recordWake(t, log)).catch(() => undefined);
      await ready;
      const readyAt = this.d.clock.now();
      this.d.metrics.observeWake("ready", (readyAt - startedAt) / 1000);
      log.info("ready", { timeToReadyMs: readyAt - startedAt });
      return readyAt;
    } catch (caught) {
      // An API call aborted by the wake timeout fails with AbortError: report the timeout itself.
      const reason: unknown = timeout.signal.reason;
      const err = timeout.signal.aborted && reason instanceof WakeTimeoutError ? reason : caught;
      if (err instanceof WakeTimeoutError) {
        this.failures.set(t.key, { at: this.d.clock.now(), error: err });
        this.d.metrics.observeWake("timeout");
        this.d.events.warning(this.d.lookup?.(t.namespace, t.name) ?? depRef(t), "WakeTimeout", err.message);
        log.warn("wake timed out", { afterMs: err.afterMs });
      } else {
        this.d.metrics.observeWake("error");
        log.warn("wake failed", errorFields(err));
      }
      throw err;
    } finally {
      this.d.timers.clearTimeout(timer);
    }
  }

  /**
   * state=awake and wokeAt, written after the scale-up while the app is still scaled up (never over
   * a sleep that came in between); a failure is healed by the monitor.
   */
  private async recordWake(t: WakeTarget, log: Logger): Promise<void> {
    try {
      const outcome = await this.d.scaler.annotate(t.namespace, t.name, wakeAnnotations(this.d.clock.now()));
      if (outcome === "asleep") log.info("put to sleep again before the wake was recorded; left asleep");
    } catch (err) {
      log.warn("could not record the wake in annotations; the monitor will", errorFields(err));
    }
  }

  /**
   * Replicas to restore, from the fresh Deployment: kubenap/replicaCount when valid, whatever else is
   * wrong (one InvalidAnnotation Warning names the bad keys); 1 when it is absent or invalid.
   */
  private replicasFor(dep: V1Deployment, log: Logger): number {
    const parsed = parsePolicy(dep.metadata?.annotations, this.d.defaults, this.d.sourceKinds);
    if (parsed.ok) return parsed.policy.replicaCount ?? 1;
    const stored = dep.metadata?.annotations?.[KEYS.replicaCount.key];
    const replicas = (stored === undefined ? undefined : parseReplicaCount(stored)) ?? 1;
    this.d.events.warning(dep, "InvalidAnnotation", parsed.problems.map(describeProblem).join("; "));
    log.warn("invalid annotation during wake; restoring anyway", { problems: parsed.problems, replicas });
    return replicas;
  }
}

/** The promise, or the signal's reason once it aborts (whichever comes first). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const aborted = (): void => reject(signal.reason as Error);
    signal.addEventListener("abort", aborted, { once: true });
    p.then(
      (v) => (signal.removeEventListener("abort", aborted), resolve(v)),
      (e: unknown) => (signal.removeEventListener("abort", aborted), reject(e as Error)),
    );
  });
}

const depRef = (t: WakeTarget): V1Deployment => ({ metadata: { namespace: t.namespace, name: t.name } });
