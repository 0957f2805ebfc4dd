import type { V1Deployment, V1EndpointSlice } from "@kubernetes/client-node";
import type { EventReason, EventSink } from "../../../src/k8s/events.js";
import { WakeTimeoutError } from "../../../src/wake/errors.js";
import { WakeMetrics } from "../../../src/wake/metrics.js";
import { Readiness } from "../../../src/wake/readiness.js";
import type { WakeTarget } from "../../../src/wake/targets.js";
import { Waker } from "../../../src/wake/waker.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { silentLogger } from "../helpers/logger.js";

class MapCache<T extends { metadata?: { name?: string; namespace?: string } }> {
  readonly items: T[] = [];
  list(ns?: string): T[] {
    return this.items.filter((i) => !ns || i.metadata?.namespace === ns);
  }
  get(name: string, ns?: string): T | undefined {
    return this.items.find((i) => i.metadata?.name === name && (!ns || i.metadata?.namespace === ns));
  }
}

const target: WakeTarget = {
  namespace: "shop",
  name: "web",
  key: "shop/web",
  service: "web",
  replicas: 0,
  policy: {
    idleAfterMs: 60_000,
    wakeTimeoutMs: 30_000,
    proxy: "nginx",
    metricsSource: "none",
    state: "asleep",
    replicaCountRecorded: false,
  },
};

interface Call {
  op: "scale" | "annotate";
  replicas?: number;
  annotations?: Record<string, string>;
}

function setup(annotations: Record<string, string> = { "kubenap/replicaCount": "3" }, hang = false) {
  const clock = new FakeClock();
  const readiness = new Readiness(new MapCache<V1Deployment>(), clock, () => true);
  const calls: Call[] = [];
  const events: [string, EventReason][] = [];
  const eventUids: (string | undefined)[] = [];
  const sink: EventSink = {
    normal: (_d, r) => events.push(["Normal", r]),
    warning: (d, r) => (events.push(["Warning", r]), eventUids.push(d.metadata?.uid)),
  };
  const waker = new Waker({
    scaler: {
      wake: (_ns, _name, replicasFor) => {
        // A hung API server: the call never settles, whatever signal it was given.
        if (hang) return new Promise(() => undefined);
        const dep: V1Deployment = {
          metadata: { namespace: "shop", name: "web", annotations },
          spec: { replicas: 0, selector: {}, template: {} },
        };
        const replicas = replicasFor(dep);
        calls.push({ op: "scale", replicas });
        return Promise.resolve({
          scaled: true,
          deployment: { ...dep, spec: { selector: {}, template: {}, replicas } },
        });
      },
      annotate: (_ns, _name, a) => {
        calls.push({ op: "annotate", annotations: a });
        return Promise.resolve();
      },
    },
    readiness,
    events: sink,
    clock,
    timers: clock,
    logger: silentLogger(),
    metrics: new WakeMetrics(),
    defaults: target.policy,
    sourceKinds: ["none"],
    lookup: (namespace, name) => ({ metadata: { namespace, name, uid: "uid-web" } }),
  });
  const becomeReady = (): void => {
    const slice: V1EndpointSlice = {
      addressType: "IPv4",
      metadata: { namespace: "shop", name: "web-abc", labels: { "kubernetes.io/service-name": "web" } },
      endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true } }],
    };
    readiness.onSlice("add", slice);
  };
  return { clock, waker, calls, events, eventUids, becomeReady };
}

describe("the waker", () => {
  it("shares one scale-up and one readiness wait among concurrent requests", async () => {
    const { clock, waker, calls, becomeReady } = setup();
    const flights = Array.from({ length: 100 }, () => waker.wake(target));
    expect(new Set(flights).size).toBe(1);
    await clock.advance(10);
    becomeReady();
    const readyAt = await Promise.all(flights.map((f) => f.done));
    expect(new Set(readyAt).size).toBe(1);
    // spec.replicas alone first, then the annotations: the ReplicaSet is scaled without delay.
    expect(calls.map((c) => c.op)).toEqual(["scale", "annotate"]);
    expect(calls[0]?.replicas).toBe(3);
    expect(calls[1]?.annotations?.["kubenap/state"]).toBe("awake");
    expect(Date.parse(calls[1]?.annotations?.["kubenap/wokeAt"] ?? "")).toBeLessThanOrEqual(clock.now());
  });

  it("restores the stored count when other annotations are invalid, and says which key is bad", async () => {
    const { clock, waker, calls, events, becomeReady } = setup({
      "kubenap/replicaCount": "4",
      "kubenap/proxy": "ngnix",
      "kubenap/idleAfter": "soon",
    });
    const flight = waker.wake(target);
    await clock.advance(1);
    becomeReady();
    await flight.done;
    expect(calls[0]).toEqual({ op: "scale", replicas: 4 });
    expect(events.filter(([, r]) => r === "InvalidAnnotation")).toHaveLength(1);
  });

  it("bounds a hung scale-up by the wake timeout, so later requests do not join a dead flight", async () => {
    const { clock, waker, events } = setup(undefined, true);
    const outcome = waker.wake(target).done.catch((e: unknown) => e);
    await clock.advance(30_001);
    expect(await outcome).toBeInstanceOf(WakeTimeoutError);
    expect(events).toContainEqual(["Warning", "WakeTimeout"]);
    expect(waker.inFlight(target)).toBeUndefined();
  });

  it("fails a wake past wakeTimeout with WakeTimeoutError and a Warning event, and remembers it briefly", async () => {
    const { clock, waker, events, eventUids } = setup();
    const flight = waker.wake(target);
    const outcome = flight.done.catch((e: unknown) => e);
    await clock.advance(30_001);
    expect(await outcome).toBeInstanceOf(WakeTimeoutError);
    expect(events).toContainEqual(["Warning", "WakeTimeout"]);
    expect(eventUids).toEqual(["uid-web"]); // so kubectl describe deployment shows it
    expect(waker.recentFailure(target)).toBeInstanceOf(WakeTimeoutError);
    await clock.advance(31_000);
    expect(waker.recentFailure(target)).toBeUndefined();
    expect(waker.inFlight(target)).toBeUndefined();
  });
});
