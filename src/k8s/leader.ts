import { V1MicroTime, type CoordinationV1Api, type V1Lease } from "@kubernetes/client-node";
import type { Logger } from "winston";
import type { Clock, Timers } from "../clock.js";
import { withSignal } from "./clients.js";
import { apiStatus, errorFields, isConflict, isNotFound } from "./errors.js";

/** Leader election settings (client-go's names and meaning). */
export interface LeaderOptions {
  coordination: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  /** How long others wait, after the last renewal they saw, before they take the Lease. */
  leaseDurationMs: number;
  /** A leader that has not renewed for this long stops acting; must be below leaseDurationMs. */
  renewDeadlineMs: number;
  /** How often to try to acquire or renew. */
  retryPeriodMs: number;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  onStartedLeading: () => void;
  /** Awaited before the Lease is released at stop(). */
  onStoppedLeading: () => void | Promise<void>;
}

/** Why leader election is not working, for /readyz and logs; undefined while it works. */
export interface ElectionProblem {
  reason: string;
  fix: string;
}

/**
 * Lease-based leader election (coordination.k8s.io/v1) with client-go's semantics:
 * - a candidate takes the Lease once it has seen the same record unchanged for the Lease's own
 *   leaseDurationSeconds (judged by local observation time, so clock skew does not matter);
 * - a leader renews every retry period and stops acting once it has not renewed for renewDeadline,
 *   which is shorter than the lease duration: it stops before anyone else can acquire;
 * - `isLeaderNow()` is checked before every write, so a leader frozen (SIGSTOP, a long GC pause)
 *   and resumed after another took over writes nothing.
 */
export class LeaderElector {
  private leading = false;
  private stopped = true;
  private timer: unknown;
  private observed = "";
  private observedAt = 0;
  /** When the last successful renewal was sent (not answered): validity counts from the send. */
  private renewedAt = 0;
  private problemValue: ElectionProblem | undefined;
  private tickRunning = false;

  constructor(private readonly o: LeaderOptions) {
    if (o.renewDeadlineMs >= o.leaseDurationMs) {
      throw new Error("leader election: the renew deadline must be shorter than the lease duration");
    }
    if (o.retryPeriodMs >= o.renewDeadlineMs) {
      throw new Error("leader election: the retry period must be shorter than the renew deadline");
    }
  }

  /** True while this replica leads (as last decided by the election loop). */
  get isLeader(): boolean {
    return this.leading;
  }

  /** True only if this replica leads AND its last renewal is younger than the renew deadline. */
  isLeaderNow(): boolean {
    return this.leading && this.o.clock.now() - this.renewedAt < this.o.renewDeadlineMs;
  }

  /** The reason leader election keeps failing (namespace missing, forbidden), if it does. */
  get problem(): ElectionProblem | undefined {
    return this.problemValue;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  /** Stops campaigning; a leader first stops acting (awaits onStoppedLeading), then releases the Lease. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.o.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.leading) return;
    const validUntil = this.renewedAt + this.o.renewDeadlineMs;
    await this.setLeading(false);
    // Releasing after our validity ended could clear another replica's fresh hold: never do that.
    if (this.o.clock.now() >= validUntil) return;
    await this.release();
  }

  private async release(): Promise<void> {
    const { coordination, name, namespace } = this.o;
    const signal = AbortSignal.timeout(this.o.retryPeriodMs);
    try {
      const lease = await coordination.readNamespacedLease({ name, namespace }, withSignal(signal));
      if (lease.spec?.holderIdentity !== this.o.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: undefined, leaseDurationSeconds: 1 };
      await coordination.replaceNamespacedLease({ name, namespace, body: lease }, withSignal(signal));
    } catch (err) {
      this.o.logger.warn("could not release lease", errorFields(err));
    }
  }

  private async tick(): Promise<void> {
    if (this.tickRunning) return;
    this.tickRunning = true;
    try {
      const started = this.o.clock.now();
      // A renewal may use what is left of the renew deadline; an acquisition, one retry period.
      const budget = this.leading
        ? Math.max(1, this.renewedAt + this.o.renewDeadlineMs - started)
        : this.o.retryPeriodMs;
      let won = false;
      try {
        won = await this.bounded(this.tryAcquireOrRenew(started, AbortSignal.timeout(budget)), budget);
        this.problemValue = undefined;
      } catch (err) {
        this.reportFailure(err);
      }
      if (this.stopped) return; // stop() ran while the call was in flight: never lead after it
      if (won) this.renewedAt = started;
      if (won && !this.leading) await this.setLeading(true);
      else if (this.leading && !won && !this.isLeaderNow()) await this.setLeading(false);
      else if (this.leading && !won && this.observedHolderIsOther()) await this.setLeading(false);
    } finally {
      this.tickRunning = false;
      if (!this.stopped) {
        this.timer = this.o.timers.setTimeout(() => void this.tick(), this.o.retryPeriodMs);
      }
    }
  }

  /** The promise, or a timeout error after ms on the injected timers (virtual time in tests). */
  private bounded<T>(p: Promise<T>, ms: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = this.o.timers.setTimeout(
        () => reject(new Error(`lease request took longer than ${ms} ms`)),
        ms,
      );
      p.then(
        (v) => (this.o.timers.clearTimeout(t), resolve(v)),
        (e: unknown) => (this.o.timers.clearTimeout(t), reject(e as Error)),
      );
    });
  }

  private reportFailure(err: unknown): void {
    const f = errorFields(err);
    const status = apiStatus(err);
    if (status === 404 || status === 403) {
      const reason =
        status === 404
          ? `namespace "${this.o.namespace}" for the leader election Lease does not exist`
          : `not allowed to use Lease ${this.o.namespace}/${this.o.name}: ${f.reason}`;
      const fix =
        status === 404
          ? "create the namespace or set --lease-namespace (KUBENAP_LEASE_NAMESPACE) to an existing one"
          : "grant get/create/update on leases.coordination.k8s.io there (deploy/rbac.yaml), or set --lease-namespace";
      if (this.problemValue?.reason !== reason) {
        this.o.logger.error("leader election cannot work; the monitor does not run", { reason, fix });
      }
      this.problemValue = { reason, fix };
    } else {
      this.o.logger.warn("lease update failed", f);
    }
  }

  private observedHolderIsOther(): boolean {
    const holder = this.observed.split("|")[0];
    return holder !== "" && holder !== this.o.identity;
  }

  private async setLeading(value: boolean): Promise<void> {
    if (value === this.leading) return;
    this.leading = value;
    this.o.logger.info(value ? "became leader" : "lost leadership", {
      lease: this.o.name,
      identity: this.o.identity,
    });
    if (value) this.o.onStartedLeading();
    else await this.o.onStoppedLeading();
  }

  private async tryAcquireOrRenew(now: number, signal: AbortSignal): Promise<boolean> {
    const { coordination, namespace, name, identity } = this.o;
    const opts = withSignal(signal);
    const spec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      renewTime: new V1MicroTime(now),
    };
    let lease: V1Lease;
    try {
      lease = await coordination.readNamespacedLease({ name, namespace }, opts);
    } catch (err) {
      if (!isNotFound(err) || isNamespaceMissing(err)) throw err;
      try {
        await coordination.createNamespacedLease(
          {
            namespace,
            body: {
              metadata: { name, namespace },
              spec: { ...spec, acquireTime: new V1MicroTime(now), leaseTransitions: 0 },
            },
          },
          opts,
        );
        this.observe(identity, now);
        return true;
      } catch (e) {
        if (isConflict(e)) return false;
        throw e;
      }
    }
    const holder = lease.spec?.holderIdentity ?? "";
    const renewTime = lease.spec?.renewTime;
    const record = `${holder}|${renewTime instanceof Date ? renewTime.toISOString() : String(renewTime ?? "")}`;
    if (record !== this.observed) this.observe(record, now);
    // The holder's own duration counts, not ours: replicas may be configured differently.
    const durationMs = (lease.spec?.leaseDurationSeconds ?? Math.ceil(this.o.leaseDurationMs / 1000)) * 1000;
    const expired = holder === "" || now - this.observedAt > durationMs;
    if (holder !== identity && !expired) return false;
    lease.spec = {
      ...lease.spec,
      ...spec,
      leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + (holder === identity ? 0 : 1),
      ...(holder !== identity && { acquireTime: new V1MicroTime(now) }),
    };
    try {
      await coordination.replaceNamespacedLease({ name, namespace, body: lease }, opts);
      this.observe(`${identity}|${new V1MicroTime(now).toISOString()}`, now);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  private observe(record: string, now: number): void {
    this.observed = record.includes("|") ? record : `${record}|`;
    this.observedAt = now;
  }
}

/** A 404 whose body names the namespace (not the Lease) as missing. */
function isNamespaceMissing(err: unknown): boolean {
  return isNotFound(err) && /namespaces? "[^"]*" not found/.test(errorFields(err).reason);
}
