import type { V1Deployment } from "@kubernetes/client-node";
import type { Logger } from "winston";
import { sleepAnnotations, wakeAnnotations } from "../annotations/writes.js";
import {
  describeProblem,
  isOptedIn,
  parsePolicy,
  type Policy,
  type PolicyDefaults,
} from "../annotations/policy.js";
import type { Clock, Timers } from "../clock.js";
import { formatDuration } from "../duration.js";
import type { DeploymentScaler } from "../k8s/deployments.js";
import { errorFields } from "../k8s/errors.js";
import type { EventSink } from "../k8s/events.js";
import type { HpaLookup } from "../k8s/hpa.js";
import {
  MetricsSourceError,
  sourceTargetOf,
  type ActivityResult,
  type SourceTarget,
  type TrafficMetricsSource,
} from "../metrics-sources/types.js";
import { decide } from "./decide.js";
import { depKey, lastStartMs } from "./facts.js";
import { gitOpsReplicasOwner } from "./gitops.js";

/** Read access to the opted-in Deployments (an informer cache in production). */
export interface DeploymentList {
  list(): V1Deployment[];
}

/** What the monitor needs; built in main (or by a test with fakes). */
export interface MonitorDeps {
  deployments: DeploymentList;
  sources: ReadonlyMap<string, TrafficMetricsSource>;
  scaler: Pick<DeploymentScaler, "sleep" | "annotateIfUnchanged">;
  hpas: HpaLookup;
  events: EventSink;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  defaults: PolicyDefaults;
  sweepIntervalMs: number;
  /** Longest a metrics source may take to answer; past it the targets are unknown. */
  sourceTimeoutMs?: number;
  /** Checked right before every write: false once this replica may no longer lead (see LeaderElector). */
  canAct?: () => boolean;
  /** Longest stop() waits for the sweep in flight. */
  stopTimeoutMs?: number;
}

/** Counts of one sweep, for logs and tests. */
export interface SweepReport {
  considered: number;
  slept: string[];
  conflicts: string[];
  invalid: string[];
  unknown: string[];
  /** Found running although KubeNap had put them to sleep: recorded as woken, given a full grace. */
  foundRunning: string[];
}

interface Target {
  dep: V1Deployment;
  policy: Policy;
  key: string;
}

/** The sleep path: sweeps opted-in Deployments and scales idle ones to zero. */
export class Monitor {
  private running = false;
  /** Set by stop(), cleared by start(): a sweep still in flight after stop() writes nothing. */
  private stopped = false;
  /** True while the one sweep loop of this process is alive (set and cleared synchronously). */
  private looping = false;
  private wakeLoop: (() => void) | undefined;
  private sweeping: Promise<SweepReport> | undefined;
  private readonly log: Logger;

  constructor(private readonly d: MonitorDeps) {
    this.log = d.logger.child({ component: "monitor" });
  }

  /** Starts sweeping on the interval (call when leading). Never more than one loop per process. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = false;
    if (!this.looping) {
      this.looping = true;
      void this.loop();
    }
  }

  /** Stops sweeping (leadership lost, shutdown); waits, bounded, for the sweep in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    this.wakeLoop?.();
    const inFlight = this.sweeping;
    if (!inFlight) return;
    let timer: unknown;
    const bound = new Promise<void>((resolve) => {
      timer = this.d.timers.setTimeout(() => {
        this.log.warn("sweep still running at stop; no further writes will be made");
        resolve();
      }, this.d.stopTimeoutMs ?? 10_000);
    });
    await Promise.race([
      inFlight.then(
        () => undefined,
        () => undefined,
      ),
      bound,
    ]);
    this.d.timers.clearTimeout(timer);
  }

  private async loop(): Promise<void> {
    try {
      while (this.running) {
        try {
          const r = await this.sweep();
          this.log.debug("sweep done", {
            considered: r.considered,
            slept: r.slept.length,
            conflicts: r.conflicts.length,
            invalid: r.invalid.length,
            unknown: r.unknown.length,
          });
        } catch (err) {
          this.log.error("sweep failed", errorFields(err));
        }
        if (!this.running) break;
        await new Promise<void>((resolve) => {
          const timer = this.d.timers.setTimeout(() => done(), this.d.sweepIntervalMs);
          const done = (): void => {
            this.d.timers.clearTimeout(timer);
            this.wakeLoop = undefined;
            resolve();
          };
          this.wakeLoop = done;
        });
      }
    } finally {
      this.looping = false;
    }
  }

  /** True while writes are allowed: not stopped and (with leader election) still the leader. */
  private canAct(): boolean {
    return !this.stopped && (this.d.canAct?.() ?? true);
  }

  /** One sweep; concurrent calls share the sweep in flight. Never throws for one bad target. */
  sweep(): Promise<SweepReport> {
    this.sweeping ??= this.doSweep().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async doSweep(): Promise<SweepReport> {
    const report: SweepReport = {
      considered: 0,
      slept: [],
      conflicts: [],
      invalid: [],
      unknown: [],
      foundRunning: [],
    };
    const targets: Target[] = [];
    for (const dep of this.d.deployments.list()) {
      if (!isOptedIn(dep.metadata?.labels)) continue;
      report.considered++;
      const key = depKey(dep);
      const parsed = parsePolicy(dep.metadata?.annotations, this.d.defaults, [...this.d.sources.keys()]);
      if (!parsed.ok) {
        report.invalid.push(key);
        const message = parsed.problems.map(describeProblem).join("; ");
        this.d.events.warning(dep, "InvalidAnnotation", message);
        this.log.warn("invalid annotation; deployment skipped", { ...ids(dep), problems: parsed.problems });
        continue;
      }
      if ((dep.spec?.replicas ?? 1) <= 0) continue;
      if (parsed.policy.state === "asleep") {
        // Someone scaled it up (kubectl scale, a GitOps self-heal) or a wake stopped before recording
        // itself: it is awake, and gets a full idleAfter of grace from now.
        await this.recordFoundRunning(dep, report);
        continue;
      }
      targets.push({ dep, policy: parsed.policy, key });
    }
    if (targets.length === 0) return report;

    let hpaTargets: Set<string>;
    try {
      hpaTargets = await this.d.hpas.deploymentTargets();
    } catch (err) {
      this.log.warn(
        "cannot list HorizontalPodAutoscalers; no Deployment sleeps this sweep",
        errorFields(err),
      );
      report.unknown.push(...targets.map((t) => t.key));
      return report;
    }
    const activity = await this.askSources(targets);
    const now = this.d.clock.now();
    for (const t of targets) {
      const result = activity.get(t.key);
      const decision = decide({
        policy: t.policy,
        replicas: t.dep.spec?.replicas ?? 1,
        activity: result,
        hasHpa: hpaTargets.has(t.key),
        now,
        lastStartMs: lastStartMs(t.dep, t.policy.wokeAt),
      });
      if (!decision.sleep) {
        if (decision.reason === "unknown") {
          report.unknown.push(t.key);
          this.d.events.warning(
            t.dep,
            "MetricsSourceError",
            `cannot tell whether the app is idle: ${decision.detail}`,
          );
        } else if (decision.reason === "hpa") {
          this.d.events.warning(
            t.dep,
            "HPAConflict",
            "a HorizontalPodAutoscaler targets this Deployment; KubeNap leaves it awake",
          );
        }
        this.log.debug("stays awake", { ...ids(t.dep), reason: decision.reason, detail: decision.detail });
        continue;
      }
      await this.putToSleep(t, decision.idleForMs, now, report);
    }
    return report;
  }

  private async askSources(targets: Target[]): Promise<Map<string, ActivityResult>> {
    const byKind = new Map<string, Target[]>();
    for (const t of targets)
      byKind.set(t.policy.metricsSource, [...(byKind.get(t.policy.metricsSource) ?? []), t]);
    const out = new Map<string, ActivityResult>();
    await Promise.all(
      [...byKind].map(async ([kind, group]) => {
        const source = this.d.sources.get(kind);
        const asked: SourceTarget[] = group.map((t) => sourceTargetOf(t.dep, t.policy));
        try {
          if (!source) throw new MetricsSourceError(kind, `metrics source "${kind}" is not configured`);
          const answer = await withDeadline(
            source.lastActivity(asked),
            this.d.sourceTimeoutMs ?? 30_000,
            this.d.timers,
            () => new MetricsSourceError(kind, `metrics source "${kind}" did not answer in time`),
          );
          for (const t of group) {
            const r = answer.get(t.key);
            if (r) out.set(t.key, r);
          }
        } catch (err) {
          const e =
            err instanceof MetricsSourceError
              ? err
              : new MetricsSourceError(kind, `source ${kind} failed: ${errorFields(err).reason}`, {
                  cause: err,
                });
          this.log.warn("metrics source failed", { source: kind, targets: group.length, reason: e.message });
          for (const t of group) out.set(t.key, e);
        }
      }),
    );
    return out;
  }

  private async recordFoundRunning(dep: V1Deployment, report: SweepReport): Promise<void> {
    if (!this.canAct()) return;
    const key = depKey(dep);
    const owner = gitOpsReplicasOwner(dep);
    try {
      const outcome = await this.d.scaler.annotateIfUnchanged(dep, wakeAnnotations(this.d.clock.now()));
      if (outcome === "conflict") return;
      report.foundRunning.push(key);
      this.log.info("found running after sleep; recorded as woken", { ...ids(dep), gitOpsOwner: owner });
      if (owner) {
        this.d.events.warning(
          dep,
          "GitOpsConflict",
          `spec.replicas is managed by "${owner}", which scaled this Deployment up again after KubeNap put it to sleep. ` +
            "Let KubeNap own replicas: drop spec.replicas from the manifest, or in Argo CD add ignoreDifferences on /spec/replicas " +
            "(with RespectIgnoreDifferences=true). Until then KubeNap sleeps it at most once per idleAfter.",
        );
      }
    } catch (err) {
      this.log.warn("could not record a Deployment found running", { ...ids(dep), ...errorFields(err) });
    }
  }

  private async putToSleep(t: Target, idleForMs: number, now: number, report: SweepReport): Promise<void> {
    if (!this.canAct()) return;
    const replicas = t.dep.spec?.replicas ?? 1;
    const { annotations, restore } = sleepAnnotations(replicas, t.policy, now);
    try {
      const outcome = await this.d.scaler.sleep(t.dep, annotations);
      if (outcome === "conflict") {
        report.conflicts.push(t.key);
        this.log.info("deployment changed since the decision; re-evaluating next sweep", ids(t.dep));
        return;
      }
      report.slept.push(t.key);
      const msg = `idle for ${formatDuration(idleForMs)} (idleAfter ${formatDuration(t.policy.idleAfterMs)}): scaled ${replicas} → 0 replicas; a wake restores ${restore}`;
      this.d.events.normal(t.dep, "Sleeping", msg);
      this.log.info("put to sleep", { ...ids(t.dep), idleForMs, replicas, restore });
    } catch (err) {
      this.log.error("sleep update failed", { ...ids(t.dep), ...errorFields(err) });
    }
  }
}

const ids = (dep: V1Deployment): { namespace?: string; deployment?: string } => ({
  namespace: dep.metadata?.namespace,
  deployment: dep.metadata?.name,
});

/** Resolves with the promise, or rejects with onTimeout() after ms. */
function withDeadline<T>(p: Promise<T>, ms: number, timers: Timers, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = timers.setTimeout(() => reject(onTimeout()), ms);
    p.then(
      (v) => {
        timers.clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        timers.clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
