import type { CoreV1Api, V1Deployment } from "@kubernetes/client-node";
import type { Logger } from "winston";
import type { Clock } from "../clock.js";
import { errorFields } from "./errors.js";

/** Stable Event reasons; dashboards and alerts match on these. */
export type EventReason =
  | "Sleeping"
  | "Woken"
  | "WakeTimeout"
  | "InvalidAnnotation"
  | "MetricsSourceError"
  | "HPAConflict"
  | "GitOpsConflict"
  | "SleepConflict";

/** Records Kubernetes Events on Deployments. */
export interface EventSink {
  normal(dep: V1Deployment, reason: EventReason, message: string): void;
  warning(dep: V1Deployment, reason: EventReason, message: string): void;
}

const DEDUPE_MS = 10 * 60_000;

/**
 * Writes core/v1 Events. Identical warnings for one object are sent at most once per 10 minutes.
 * Writing is fire-and-forget: an Event that cannot be written is logged, never fatal.
 */
export class EventRecorder implements EventSink {
  private readonly lastSent = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly core: CoreV1Api,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly instance: string,
  ) {}

  normal(dep: V1Deployment, reason: EventReason, message: string): void {
    this.track(this.write(dep, "Normal", reason, message));
  }

  /** Resolves once every Event write started so far has finished (shutdown, tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  warning(dep: V1Deployment, reason: EventReason, message: string): void {
    const key = `${dep.metadata?.uid}|${reason}|${message}`;
    const now = this.clock.now();
    const last = this.lastSent.get(key);
    if (last !== undefined && now - last < DEDUPE_MS) return;
    this.lastSent.set(key, now);
    if (this.lastSent.size > 10_000) this.prune(now);
    this.track(this.write(dep, "Warning", reason, message));
  }

  private prune(now: number): void {
    for (const [k, t] of this.lastSent) if (now - t >= DEDUPE_MS) this.lastSent.delete(k);
  }

  private async write(dep: V1Deployment, type: string, reason: EventReason, message: string): Promise<void> {
    const namespace = dep.metadata?.namespace ?? "default";
    const name = dep.metadata?.name ?? "";
    const now = new Date(this.clock.now());
    try {
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${name}.kubenap.`, namespace },
          involvedObject: {
            apiVersion: "apps/v1",
            kind: "Deployment",
            name,
            namespace,
            ...(dep.metadata?.uid !== undefined && { uid: dep.metadata.uid }),
            ...(dep.metadata?.resourceVersion !== undefined && {
              resourceVersion: dep.metadata.resourceVersion,
            }),
          },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: "kubenap" },
          reportingComponent: "kubenap",
          reportingInstance: this.instance,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (err) {
      this.logger.warn("could not write event", {
        namespace,
        deployment: name,
        eventReason: reason,
        error: errorFields(err),
      });
    }
  }
}
