import type { Policy } from "../../../src/annotations/policy.js";
import { decide, type DecisionInput } from "../../../src/monitor/decide.js";
import { MetricsSourceError } from "../../../src/metrics-sources/types.js";

const NOW = Date.parse("2026-11-25T12:00:00Z");
const policy: Policy = {
  idleAfterMs: 600_000,
  wakeTimeoutMs: 300_000,
  proxy: "nginx",
  metricsSource: "test",
  state: "awake",
  replicaCountRecorded: false,
};
const base: DecisionInput = {
  policy,
  replicas: 2,
  activity: { kind: "seen", at: new Date(NOW - 700_000) },
  hasHpa: false,
  now: NOW,
  lastStartMs: NOW - 3_600_000,
};

describe("the sleep decision", () => {
  it.each<[string, Partial<DecisionInput>, boolean | string]>([
    ["idle longer than idleAfter → sleep", {}, true],
    [
      "traffic within idleAfter → active",
      { activity: { kind: "seen", at: new Date(NOW - 60_000) } },
      "active",
    ],
    [
      "when the source errors, the app is not put to sleep",
      { activity: new MetricsSourceError("test", "down") },
      "unknown",
    ],
    ["no answer for this target → unknown", { activity: undefined }, "unknown"],
    [
      "nothing seen in a long enough window → sleep",
      { activity: { kind: "none", lookbackMs: 3_600_000 } },
      true,
    ],
    [
      "nothing seen but the window is shorter than idleAfter → unknown",
      { activity: { kind: "none", lookbackMs: 60_000 } },
      "unknown",
    ],
    ["woken or rolled out less than idleAfter ago → grace", { lastStartMs: NOW - 300_000 }, "grace"],
    ["already at zero → nothing to do", { replicas: 0 }, "not-running"],
    ["an HPA targets it → left awake", { hasHpa: true }, "hpa"],
  ])("%s", (_name, change, expected) => {
    const d = decide({ ...base, ...change });
    if (expected === true) expect(d.sleep).toBe(true);
    else expect(d).toMatchObject({ sleep: false, reason: expected });
  });

  it("never sleeps on unknown, whatever else holds", () => {
    const d = decide({ ...base, lastStartMs: 0, activity: new MetricsSourceError("test", "x") });
    expect(d.sleep).toBe(false);
  });
});
