import type { V1Deployment } from "@kubernetes/client-node";
import type { Logger } from "winston";
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
  scaler: Pick<DeploymentScaler, "wake">;
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
      const { scaled, deployment } = await this.d.scaler.wake(t.namespace, t.name, (dep) =>
        this.plan(dep, log),
      );
      if (scaled) {
        const replicas = deployment.spec?.replicas ?? 1;
        this.d.events.normal(deployment, "Woken", `woken by a request: scaled 0 → ${replicas} replicas`);
        log.info("scaled up", { replicas });
      }
      await this.d.readiness.waitReady(t, timeout.signal);
      const readyAt = this.d.clock.now();
      this.d.metrics.observeWake("ready", (readyAt - startedAt) / 1000);
      log.info("ready", { timeToReadyMs: readyAt - startedAt });
      return readyAt;
    } catch (err) {
      if (err instanceof WakeTimeoutError) {
        this.failures.set(t.key, { at: this.d.clock.now(), error: err });
        this.d.metrics.observeWake("timeout");
        this.d.events.warning(depRef(t), "WakeTimeout", err.message);
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

  /** Replicas from the fresh Deployment's kubenap/replicaCount (1 when absent or invalid). */
  private plan(dep: V1Deployment, log: Logger): { replicas: number; annotations: Record<string, string> } {
    const parsed = parsePolicy(dep.metadata?.annotations, this.d.defaults, this.d.sourceKinds);
    let replicas = 1;
    if (parsed.ok) replicas = parsed.policy.replicaCount ?? 1;
    else {
      // Other annotations are invalid: still restore the stored count when that one is valid.
      const stored = dep.metadata?.annotations?.[KEYS.replicaCount.key];
      replicas = (stored === undefined ? undefined : parseReplicaCount(stored)) ?? 1;
      this.d.events.warning(dep, "InvalidAnnotation", parsed.problems.map(describeProblem).join("; "));
      log.warn("invalid annotation during wake", { problems: parsed.problems, replicas });
    }
    return {
      replicas,
      annotations: {
        [KEYS.state.key]: "awake",
        [KEYS.wokeAt.key]: new Date(this.d.clock.now()).toISOString(),
      },
    };
  }
}

const depRef = (t: WakeTarget): V1Deployment => ({ metadata: { namespace: t.namespace, name: t.name } });
