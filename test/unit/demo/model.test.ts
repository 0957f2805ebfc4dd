import type { V1Deployment } from "@kubernetes/client-node";
import { DemoModel, countdown, formatSeconds, sleepsAt } from "../../../demo/model.js";

const T = Date.parse("2026-11-26T12:00:00Z");
const dep = (replicas: number, ready: number, idleAfter = "30s"): V1Deployment => ({
  metadata: { namespace: "d", name: "blog", annotations: { "kubenap/idleAfter": idleAfter } },
  spec: { replicas, selector: {}, template: {} },
  status: { readyReplicas: ready },
});

describe("the demo's countdown to sleep", () => {
  it.each([
    [{ at: T, reason: "active", agoMs: 10_000 }, 30_000, T + 20_000],
    [{ at: T, reason: "grace", agoMs: 4_000 }, 30_000, T + 26_000],
    [{ at: T, reason: "unknown" }, 30_000, undefined],
    [{ at: T, reason: "active" }, 30_000, undefined],
  ])("verdict %j with idleAfter %d → sleeps at %s", (v, idle, want) => {
    expect(sleepsAt(v, idle)).toBe(want);
  });

  it("counts down from KubeNap's last verdict, not from when it was read", () => {
    const s = {
      idleAfterMs: 30_000,
      verdict: {
        kind: "verdict" as const,
        at: T,
        app: "d/blog",
        reason: "active",
        detail: "",
        agoMs: 10_000,
      },
    };
    expect(countdown(s, T)).toBe("sleeps in 20 s");
    expect(countdown(s, T + 15_500)).toBe("sleeps in 5 s");
    expect(countdown(s, T + 21_000)).toBe("any moment (KubeNap is confirming no traffic)");
  });

  it("says why there is no countdown", () => {
    expect(countdown({}, T)).toBe("waiting for KubeNap's first sweep");
    expect(
      countdown(
        {
          idleAfterMs: 30_000,
          verdict: { kind: "verdict", at: T, app: "d/blog", reason: "unknown", detail: "Prometheus is down" },
        },
        T,
      ),
    ).toBe("unknown, stays awake: Prometheus is down");
  });

  it.each([
    [0, "0 s"],
    [1, "1 s"],
    [29_001, "30 s"],
    [65_000, "1 m 05 s"],
  ])("%d ms → %s", (ms, text) => {
    expect(formatSeconds(ms)).toBe(text);
  });
});

describe("the demo's model of an app", () => {
  it("follows the app through awake → asleep → waking → awake with the wake's duration", () => {
    const m = new DemoModel(["d/blog"]);
    expect(m.rows(T)[0]?.state).toBe("unknown");
    m.onDeployment(dep(1, 1));
    m.onKubenap({
      kind: "verdict",
      at: T,
      app: "d/blog",
      reason: "active",
      detail: "last traffic 2000 ms ago",
      agoMs: 2_000,
    });
    expect(m.rows(T + 1_000)[0]).toMatchObject({ state: "awake", replicas: "1/1", sleep: "sleeps in 27 s" });

    m.onKubenap({ kind: "slept", at: T + 28_000, app: "d/blog", idleForMs: 30_000 });
    m.onDeployment(dep(0, 0));
    expect(m.rows(T + 29_000)[0]).toMatchObject({ state: "asleep", replicas: "0/0" });

    m.onKubenap({ kind: "scaled-up", at: T + 40_000, app: "d/blog" });
    m.onDeployment(dep(1, 0));
    expect(m.rows(T + 40_100)[0]?.state).toBe("waking");

    m.onKubenap({ kind: "woke", at: T + 40_214, app: "d/blog", ms: 214 });
    m.onDeployment(dep(1, 1));
    const row = m.rows(T + 41_000)[0];
    expect(row).toMatchObject({ state: "awake", sleep: "waiting for KubeNap's first sweep" });
    expect(row?.lastWake).toMatch(/^woke in 214 ms at \d\d:\d\d:\d\d$/);
    expect(m.history.map((h) => h.slice(9))).toEqual([
      "d/blog put to sleep after 30 s without traffic",
      "d/blog waking: a request reached KubeNap's wake handler",
      "d/blog woke in 214 ms",
    ]);
  });

  it("ignores Deployments and log lines of other apps", () => {
    const m = new DemoModel(["d/blog"]);
    m.onDeployment({ ...dep(1, 1), metadata: { namespace: "d", name: "other" } });
    m.onKubenap({ kind: "woke", at: T, app: "d/other", ms: 5 });
    expect(m.rows(T)).toEqual([{ app: "d/blog", state: "unknown", replicas: "?", sleep: "", lastWake: "" }]);
    expect(m.history).toEqual([]);
  });

  it("keeps the last 50 events and counts them all", () => {
    const m = new DemoModel(["d/blog"]);
    for (let i = 0; i < 60; i++) m.onKubenap({ kind: "woke", at: T, app: "d/blog", ms: i });
    expect(m.history).toHaveLength(50);
    expect(m.noted).toBe(60);
    expect(m.history[49]).toMatch(/woke in 59 ms$/);
  });
});
