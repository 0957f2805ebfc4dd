import { ApiException, type CoordinationV1Api, type V1Lease } from "@kubernetes/client-node";
import { LeaderElector } from "../../../src/k8s/leader.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { silentLogger } from "../helpers/logger.js";

/** An in-memory Lease API with resourceVersion conflicts, as the API server enforces them. */
class FakeLeases {
  lease: V1Lease | undefined;
  private rv = 0;
  /** When set, reads wait for it (to stop an elector mid-renewal). */
  hold: Promise<void> | undefined;

  private store(body: V1Lease): V1Lease {
    this.lease = {
      ...structuredClone(body),
      metadata: { ...body.metadata, resourceVersion: String(++this.rv) },
    };
    return this.lease;
  }

  private async read(): Promise<V1Lease> {
    if (this.hold) await this.hold;
    if (!this.lease) throw new ApiException(404, "not found", "{}", {});
    return structuredClone(this.lease);
  }

  private create(body: V1Lease): Promise<V1Lease> {
    if (this.lease) return Promise.reject(new ApiException(409, "exists", "{}", {}));
    return Promise.resolve(this.store(body));
  }

  private replace(body: V1Lease): Promise<V1Lease> {
    if (body.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) {
      return Promise.reject(new ApiException(409, "conflict", "{}", {}));
    }
    return Promise.resolve(this.store(body));
  }

  api(): CoordinationV1Api {
    return {
      readNamespacedLease: () => this.read(),
      createNamespacedLease: ({ body }: { body: V1Lease }) => this.create(body),
      replaceNamespacedLease: ({ body }: { body: V1Lease }) => this.replace(body),
    } as unknown as CoordinationV1Api;
  }
}

/** Another replica's view of the same Leases: its reads are not held when the first one's are. */
class FakeLeasesView {
  constructor(private readonly leases: FakeLeases) {}
  api(): CoordinationV1Api {
    const shared = this.leases;
    return {
      readNamespacedLease: () => {
        if (!shared.lease) return Promise.reject(new ApiException(404, "not found", "{}", {}));
        return Promise.resolve(structuredClone(shared.lease));
      },
      createNamespacedLease: (r: { body: V1Lease }) => shared.api().createNamespacedLease(r as never),
      replaceNamespacedLease: (r: { body: V1Lease }) => shared.api().replaceNamespacedLease(r as never),
    } as unknown as CoordinationV1Api;
  }
}

function options(coordination: CoordinationV1Api, clock: FakeClock, identity: string) {
  return {
    coordination,
    namespace: "kubenap",
    name: "kubenap-monitor",
    identity,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    clock,
    timers: clock,
    logger: silentLogger(),
    onStartedLeading: () => undefined,
    onStoppedLeading: () => undefined,
  };
}

function elector(
  leases: FakeLeases | CoordinationV1Api,
  clock: FakeClock,
  identity: string,
  log: string[],
  extra: { leaseDurationMs?: number; renewDeadlineMs?: number } = {},
): LeaderElector {
  return new LeaderElector({
    ...options(leases instanceof FakeLeases ? leases.api() : leases, clock, identity),
    ...extra,
    onStartedLeading: () => void log.push(`${identity} leads`),
    onStoppedLeading: () => void log.push(`${identity} stops`),
  });
}

describe("leader election", () => {
  it("lets exactly one of two candidates lead", async () => {
    const clock = new FakeClock();
    const leases = new FakeLeases();
    const log: string[] = [];
    const a = elector(leases, clock, "a", log);
    const b = elector(leases, clock, "b", log);
    a.start();
    b.start();
    await clock.advance(20_000);
    expect(log).toEqual(["a leads"]);
    expect(leases.lease?.spec?.holderIdentity).toBe("a");
  });

  it("takes over a crashed leader's lease only after the lease duration", async () => {
    const clock = new FakeClock();
    const leases = new FakeLeases();
    const log: string[] = [];
    const a = elector(leases, clock, "a", log);
    a.start();
    await clock.advance(1);
    // "a" crashes: it stops renewing but does not release the lease.
    (a as unknown as { stopped: boolean }).stopped = true;
    const b = elector(leases, clock, "b", log);
    b.start();
    await clock.advance(14_000);
    expect(log).toEqual(["a leads"]);
    await clock.advance(4_000);
    expect(log).toEqual(["a leads", "b leads"]);
    expect(leases.lease?.spec?.leaseTransitions).toBe(1);
  });

  it("hands over at once when the leader stops cleanly (releases the lease)", async () => {
    const clock = new FakeClock();
    const leases = new FakeLeases();
    const log: string[] = [];
    const a = elector(leases, clock, "a", log);
    const b = elector(leases, clock, "b", log);
    a.start();
    await clock.advance(1);
    b.start();
    await a.stop();
    await clock.advance(2_001);
    expect(log).toEqual(["a leads", "a stops", "b leads"]);
  });

  it("never starts leading after stop(), even when a renewal was in flight", async () => {
    const clock = new FakeClock();
    const leases = new FakeLeases();
    const log: string[] = [];
    let release!: () => void;
    leases.hold = new Promise((r) => (release = r));
    const a = elector(leases, clock, "a", log);
    a.start();
    await clock.advance(1);
    await a.stop();
    leases.hold = undefined;
    release();
    await clock.advance(10_000);
    expect(log).toEqual([]);
    expect(a.isLeader).toBe(false);
  });
});

describe("leader election with client-go's semantics", () => {
  it("a leader whose renewals hang stops acting before another replica can acquire", async () => {
    const clock = new FakeClock();
    const leases = new FakeLeases();
    const log: string[] = [];
    const a = elector(leases, clock, "a", log);
    a.start();
    await clock.advance(1);
    expect(a.isLeaderNow()).toBe(true);
    const frozenAt = clock.now();
    leases.hold = new Promise(() => undefined); // the API server stops answering "a"
    const b = elector(new FakeLeasesView(leases).api(), clock, "b", log);
    b.start();
    let aStoppedAt = 0;
    let bLedAt = 0;
    for (let t = 0; t < 30_000; t += 250) {
      await clock.advance(250);
      if (!aStoppedAt && !a.isLeaderNow()) aStoppedAt = clock.now();
      if (!bLedAt && log.includes("b leads")) bLedAt = clock.now();
    }
    expect(aStoppedAt - frozenAt).toBeLessThanOrEqual(10_000);
    expect(bLedAt).toBeGreaterThan(aStoppedAt);
    expect(log).toEqual(["a leads", "a stops", "b leads"]);
  });

  it("waits for the holder's own leaseDurationSeconds, not its own, before taking over", async () => {
    const clock = new FakeClock();
    const leases = new FakeLeases();
    const log: string[] = [];
    const a = elector(leases, clock, "a", log, { leaseDurationMs: 60_000, renewDeadlineMs: 40_000 });
    a.start();
    await clock.advance(1);
    (a as unknown as { stopped: boolean }).stopped = true; // "a" crashes without releasing
    const b = elector(leases, clock, "b", log);
    b.start();
    await clock.advance(40_000);
    expect(log).toEqual(["a leads"]);
    await clock.advance(25_000);
    expect(log).toEqual(["a leads", "b leads"]);
  });

  it("stop() releases the Lease only after the monitor has stopped", async () => {
    const clock = new FakeClock();
    const leases = new FakeLeases();
    let finishSweep!: () => void;
    const sweepDone = new Promise<void>((r) => (finishSweep = r));
    const a = new LeaderElector({
      ...options(leases.api(), clock, "a"),
      onStoppedLeading: () => sweepDone,
    });
    a.start();
    await clock.advance(1);
    const stopped = a.stop();
    await clock.advance(100);
    expect(leases.lease?.spec?.holderIdentity).toBe("a");
    finishSweep();
    await stopped;
    expect(leases.lease?.spec?.holderIdentity).toBeUndefined();
  });
});
