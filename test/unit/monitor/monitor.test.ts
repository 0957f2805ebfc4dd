import type { V1Deployment } from "@kubernetes/client-node";
import type { EventReason, EventSink } from "../../../src/k8s/events.js";
import type {
  ActivityResult,
  SourceTarget,
  TrafficMetricsSource,
} from "../../../src/metrics-sources/types.js";
import { Monitor, type MonitorDeps } from "../../../src/monitor/monitor.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { silentLogger } from "../helpers/logger.js";

const HOUR = 3_600_000;

/** A source whose answers the test controls; counts calls and targets per call. */
class ScriptedSource implements TrafficMetricsSource {
  readonly kind = "test";
  calls: number[] = [];
  pending: (() => void)[] = [];
  hang = false;
  answer: (t: SourceTarget) => ActivityResult = () => ({ kind: "none", lookbackMs: 24 * HOUR });
  lastActivity(targets: readonly SourceTarget[]): Promise<Map<string, ActivityResult>> {
    this.calls.push(targets.length);
    const result = new Map(targets.map((t) => [`${t.namespace}/${t.name}`, this.answer(t)]));
    if (this.hang) return new Promise(() => undefined);
    return new Promise((resolve) => this.pending.push(() => resolve(result)));
  }
  release(): void {
    this.pending.splice(0).forEach((r) => r());
  }
}

function dep(name: string, annotations: Record<string, string> = {}, replicas = 2): V1Deployment {
  return {
    metadata: {
      namespace: "shop",
      name,
      uid: `uid-${name}`,
      resourceVersion: "7",
      labels: { "kubenap/enabled": "true" },
      annotations: { "kubenap/idleAfter": "10m", ...annotations },
      creationTimestamp: new Date(Date.parse("2026-11-25T12:00:00Z") - 24 * HOUR),
    },
    spec: { replicas, selector: {}, template: {} },
  };
}

function setup(deps: V1Deployment[], over: Partial<MonitorDeps> = {}) {
  const clock = new FakeClock();
  const source = new ScriptedSource();
  const writes: { op: string; name: string; annotations: Record<string, string> }[] = [];
  const events: [EventReason, string][] = [];
  const sink: EventSink = {
    normal: (_d, r, m) => events.push([r, m]),
    warning: (_d, r, m) => events.push([r, m]),
  };
  const monitor = new Monitor({
    deployments: { list: () => deps },
    sources: new Map([["test", source]]),
    scaler: {
      sleep: (d, annotations) => {
        writes.push({ op: "sleep", name: d.metadata?.name ?? "", annotations });
        return Promise.resolve("slept");
      },
      annotateIfUnchanged: (d, annotations) => {
        writes.push({ op: "annotate", name: d.metadata?.name ?? "", annotations });
        return Promise.resolve("written");
      },
    },
    hpas: { deploymentTargets: () => Promise.resolve(new Set<string>()) },
    events: sink,
    clock,
    timers: clock,
    logger: silentLogger(),
    defaults: { idleAfterMs: 600_000, wakeTimeoutMs: 300_000, proxy: "nginx", metricsSource: "test" },
    sweepIntervalMs: 1_000,
    ...over,
  });
  return { clock, source, writes, events, monitor };
}

describe("the monitor's sweep loop", () => {
  it("runs one loop only, even when leadership is lost and regained during a sweep", async () => {
    const { clock, source, monitor } = setup([dep("web")]);
    monitor.start();
    await clock.advance(1);
    expect(source.calls).toHaveLength(1); // first sweep in flight, waiting for the source
    const stopping = monitor.stop();
    monitor.start(); // leadership regained before the sweep ended
    source.release();
    await stopping;
    for (let i = 0; i < 10; i++) {
      await clock.advance(1_000);
      source.release();
    }
    // one sweep per interval: a second loop would double this
    expect(source.calls.length).toBeLessThanOrEqual(12);
    expect(source.calls.length).toBeGreaterThanOrEqual(10);
    await monitor.stop();
  });

  it("never sweeps after stop()", async () => {
    const { clock, source, monitor } = setup([dep("web")]);
    monitor.start();
    await clock.advance(1);
    source.release();
    await monitor.stop();
    const before = source.calls.length;
    await clock.advance(10_000);
    expect(source.calls.length).toBe(before);
  });

  it("makes no write once it may no longer act (leadership expired mid-sweep)", async () => {
    let leader = true;
    const { clock, source, writes, monitor } = setup([dep("web")], { canAct: () => leader });
    const sweep = monitor.sweep();
    await clock.advance(1);
    leader = false; // e.g. SIGSTOPped past the renew deadline while the source answered
    source.release();
    await sweep;
    expect(writes).toEqual([]);
  });

  it("treats a hung metrics source as unknown after --source-timeout and keeps sweeping", async () => {
    const { clock, source, writes, monitor } = setup([dep("web")], { sourceTimeoutMs: 5_000 });
    source.hang = true;
    const report = monitor.sweep();
    await clock.advance(5_001);
    expect((await report).unknown).toEqual(["shop/web"]);
    expect(writes).toEqual([]);
  });

  it("asks each source once per sweep for all its targets", async () => {
    const deps = Array.from({ length: 50 }, (_, i) => dep(`app-${i}`));
    const { clock, source, writes, monitor } = setup(deps);
    const report = monitor.sweep();
    await clock.advance(1);
    source.release();
    expect((await report).slept).toHaveLength(50);
    expect(source.calls).toEqual([50]);
    expect(writes).toHaveLength(50);
  });
});

describe("the replica count to restore", () => {
  async function sleepOnce(d: V1Deployment) {
    const { clock, source, writes, monitor } = setup([d]);
    const report = monitor.sweep();
    await clock.advance(1);
    source.release();
    await report;
    return writes[0]?.annotations ?? {};
  }

  it("records the pre-sleep count, however large, in a form its own parser accepts", async () => {
    const a = await sleepOnce(dep("web", {}, 1500));
    expect(a["kubenap/replicaCount"]).toBe("1500");
    expect(a["kubenap/replicaCountRecorded"]).toBe("1500");
  });

  it("refreshes a count it recorded itself", async () => {
    const a = await sleepOnce(
      dep("web", { "kubenap/replicaCount": "2", "kubenap/replicaCountRecorded": "2" }, 4),
    );
    expect(a["kubenap/replicaCount"]).toBe("4");
  });

  it("never overwrites a count the user set, even over a leftover recorded marker", async () => {
    const a = await sleepOnce(
      dep("web", { "kubenap/replicaCount": "5", "kubenap/replicaCountRecorded": "2" }, 4),
    );
    expect(a["kubenap/replicaCount"]).toBeUndefined();
    expect(a["kubenap/state"]).toBe("asleep");
  });
});

describe("an app found running after KubeNap put it to sleep", () => {
  it("is recorded as woken (state awake, wokeAt now) and not put back to sleep in the same sweep", async () => {
    const { clock, source, writes, events, monitor } = setup([dep("web", { "kubenap/state": "asleep" }, 1)]);
    const report = monitor.sweep();
    await clock.advance(1);
    source.release();
    expect((await report).foundRunning).toEqual(["shop/web"]);
    expect(writes).toEqual([
      {
        op: "annotate",
        name: "web",
        annotations: { "kubenap/state": "awake", "kubenap/wokeAt": new Date(clock.now() - 1).toISOString() },
      },
    ]);
    expect(events.map(([r]) => r)).not.toContain("GitOpsConflict");
  });

  it("gets a GitOpsConflict Warning when a GitOps tool owns spec.replicas", async () => {
    const d = dep("web", { "kubenap/state": "asleep" }, 1);
    d.metadata!.managedFields = [
      { manager: "argocd-controller", operation: "Apply", fieldsV1: { "f:spec": { "f:replicas": {} } } },
    ];
    const { clock, source, events, monitor } = setup([d]);
    const report = monitor.sweep();
    await clock.advance(1);
    source.release();
    await report;
    const warning = events.find(([r]) => r === "GitOpsConflict");
    expect(warning?.[1]).toContain("argocd-controller");
    expect(warning?.[1]).toContain("ignoreDifferences");
  });
});

describe("an app pinned awake (kubenap/awakeUntil)", () => {
  it("is not put to sleep before that time, and is once it has passed", async () => {
    const until = new Date(Date.parse("2026-11-25T12:00:00Z") + 2 * HOUR).toISOString();
    const { clock, source, writes, monitor } = setup([dep("web", { "kubenap/awakeUntil": until })], {
      sweepIntervalMs: 60_000,
    });
    monitor.start();
    // Idle for a day, swept every minute for the pin's two hours: never slept.
    for (let i = 0; i < 120; i++) {
      await clock.advance(60_000);
      source.release();
      if (writes.length > 0) break;
    }
    expect(writes).toEqual([]);
    expect(clock.now()).toBeGreaterThanOrEqual(Date.parse(until));
    await clock.advance(60_000);
    source.release();
    await clock.advance(1);
    // (The fake cluster does not apply writes, so later sweeps may repeat it; the first one counts.)
    expect(writes.map((w) => [w.op, w.annotations["kubenap/state"]])[0]).toEqual(["sleep", "asleep"]);
    await monitor.stop();
  });

  it("with an invalid time, is skipped with an InvalidAnnotation Warning naming the key", async () => {
    const { clock, source, writes, events, monitor } = setup([dep("web", { "kubenap/awakeUntil": "2h" })]);
    const report = monitor.sweep();
    await clock.advance(1);
    source.release();
    expect((await report).invalid).toEqual(["shop/web"]);
    expect(writes).toEqual([]);
    expect(events).toContainEqual([
      "InvalidAnnotation",
      'annotation kubenap/awakeUntil="2h" is invalid: expected an RFC 3339 time',
    ]);
  });
});
