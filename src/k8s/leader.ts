import { V1MicroTime, type CoordinationV1Api, type V1Lease } from "@kubernetes/client-node";
import type { Logger } from "winston";
import type { Clock, Timers } from "../clock.js";
import { errorFields, isConflict, isNotFound } from "./errors.js";

/** Leader election settings. */
export interface LeaderOptions {
  coordination: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  retryPeriodMs: number;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

/**
 * Lease-based leader election (coordination.k8s.io/v1), as client-go does it: a holder renews every
 * retry period; others take over once they have seen the same record unchanged for a lease duration.
 * Expiry is judged by local observation time, so clock skew between replicas does not matter.
 */
export class LeaderElector {
  private leading = false;
  private stopped = true;
  private timer: unknown;
  private observed = "";
  private observedAt = 0;
  private lastRenew = 0;

  constructor(private readonly o: LeaderOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** Stops campaigning; a leader releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.o.timers.clearTimeout(this.timer);
    if (!this.leading) return;
    this.setLeading(false);
    try {
      const lease = await this.o.coordination.readNamespacedLease({
        name: this.o.name,
        namespace: this.o.namespace,
      });
      if (lease.spec?.holderIdentity === this.o.identity) {
        lease.spec.holderIdentity = undefined;
        await this.o.coordination.replaceNamespacedLease({
          name: this.o.name,
          namespace: this.o.namespace,
          body: lease,
        });
      }
    } catch (err) {
      this.o.logger.warn("could not release lease", errorFields(err));
    }
  }

  private async tick(): Promise<void> {
    try {
      const won = await this.tryAcquireOrRenew();
      // stop() may have run while the API call was in flight: never start leading after it.
      if (this.stopped) return;
      if (won) this.lastRenew = this.o.clock.now();
      this.setLeading(won);
    } catch (err) {
      this.o.logger.warn("lease update failed", errorFields(err));
      // Keep leading only while the last renewal is younger than the lease: after that another may hold it.
      if (this.leading && this.o.clock.now() - this.lastRenew > this.o.leaseDurationMs * 0.8)
        this.setLeading(false);
    }
    if (!this.stopped) this.timer = this.o.timers.setTimeout(() => void this.tick(), this.o.retryPeriodMs);
  }

  private setLeading(value: boolean): void {
    if (value === this.leading) return;
    this.leading = value;
    this.o.logger.info(value ? "became leader" : "lost leadership", {
      lease: this.o.name,
      identity: this.o.identity,
    });
    if (value) this.o.onStartedLeading();
    else this.o.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { coordination, namespace, name, identity } = this.o;
    const now = this.o.clock.now();
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      renewTime: new V1MicroTime(now),
    };
    let lease: V1Lease;
    try {
      lease = await coordination.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await coordination.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: { ...spec, acquireTime: new V1MicroTime(now), leaseTransitions: 0 },
          },
        });
        return true;
      } catch (e) {
        if (isConflict(e)) return false;
        throw e;
      }
    }
    const holder = lease.spec?.holderIdentity;
    const record = `${holder ?? ""}|${String(lease.spec?.renewTime?.toISOString?.() ?? lease.spec?.renewTime ?? "")}`;
    if (record !== this.observed) {
      this.observed = record;
      this.observedAt = now;
    }
    const expired = !holder || now - this.observedAt > this.o.leaseDurationMs;
    if (holder !== identity && !expired) return false;
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (holder === identity ? 0 : 1);
    lease.spec = {
      ...lease.spec,
      ...spec,
      leaseTransitions: transitions,
      ...(holder !== identity && { acquireTime: new V1MicroTime(now) }),
    };
    try {
      await coordination.replaceNamespacedLease({ name, namespace, body: lease });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}
