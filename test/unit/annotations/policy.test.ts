import { parsePolicy, type PolicyDefaults } from "../../../src/annotations/policy.js";

const defaults: PolicyDefaults = {
  idleAfterMs: 900_000,
  wakeTimeoutMs: 300_000,
  proxy: "nginx",
  metricsSource: "prometheus",
};
const SOURCES = ["datadog", "prometheus"];
const parse = (a: Record<string, string>) => parsePolicy(a, defaults, SOURCES);

describe("parsePolicy", () => {
  it.each([
    [
      {},
      {
        idleAfterMs: 900_000,
        wakeTimeoutMs: 300_000,
        proxy: "nginx",
        metricsSource: "prometheus",
        state: "awake",
      },
    ],
    [{ "kubenap/idleAfter": "90s" }, { idleAfterMs: 90_000 }],
    [{ "kubenap/idleAfter": "10m" }, { idleAfterMs: 600_000 }],
    [{ "kubenap/idleAfter": "1h30m" }, { idleAfterMs: 5_400_000 }],
    [{ "kubenap/wakeTimeout": "2m" }, { wakeTimeoutMs: 120_000 }],
    [{ "kubenap/replicaCount": "3" }, { replicaCount: 3, replicaCountRecorded: false }],
    [
      { "kubenap/replicaCount": "3", "kubenap/replicaCountRecorded": "true" },
      { replicaCount: 3, replicaCountRecorded: true },
    ],
    [
      { "kubenap/replicaCount": "1500", "kubenap/replicaCountRecorded": "1500" },
      { replicaCount: 1500, replicaCountRecorded: true },
    ],
    [
      // the user changed the count KubeNap had recorded: theirs now, never overwritten
      { "kubenap/replicaCount": "5", "kubenap/replicaCountRecorded": "2" },
      { replicaCount: 5, replicaCountRecorded: false },
    ],
    [{ "kubenap/proxy": "traefik" }, { proxy: "traefik" }],
    [{ "kubenap/metricsSource": "datadog" }, { metricsSource: "datadog" }],
    [
      { "kubenap/service": "myapp-svc", "kubenap/ingress": "myapp.ing" },
      { service: "myapp-svc", ingress: "myapp.ing" },
    ],
    [
      { "kubenap/state": "asleep", "kubenap/sleptAt": "2026-11-25T14:00:00Z" },
      { state: "asleep", sleptAt: new Date("2026-11-25T14:00:00Z") },
    ],
    [{ "kubenap/awakeUntil": "2026-11-25T18:00:00Z" }, { awakeUntil: new Date("2026-11-25T18:00:00Z") }],
  ])("accepts %j", (annotations, expected) => {
    const r = parse(annotations);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.policy).toMatchObject(expected);
  });

  const big = "x".repeat(64 * 1024);
  it.each([
    ["kubenap/idleAfter", "10 minutes"],
    ["kubenap/idleAfter", "-5m"],
    ["kubenap/idleAfter", "0"],
    ["kubenap/idleAfter", "0s"],
    ["kubenap/idleAfter", "abc"],
    ["kubenap/idleAfter", ""],
    ["kubenap/idleAfter", "1000h"],
    ["kubenap/wakeTimeout", "soon"],
    ["kubenap/replicaCount", "-1"],
    ["kubenap/replicaCount", "0"],
    ["kubenap/replicaCount", "1.5"],
    ["kubenap/replicaCount", "1e9"],
    ["kubenap/replicaCount", "2147483648"],
    ["kubenap/replicaCount", ""],
    ["kubenap/proxy", "haproxy"],
    ["kubenap/proxy", ""],
    ["kubenap/metricsSource", "graphite"],
    ["kubenap/service", "My_Service"],
    ["kubenap/service", ""],
    ["kubenap/ingress", "-bad-"],
    ["kubenap/query", ""],
    ["kubenap/state", "sleeping"],
    ["kubenap/wokeAt", "yesterday"],
    ["kubenap/awakeUntil", "2h"],
    ["kubenap/service", big],
    ["kubenap/query", big],
  ])("rejects %s=%j, naming key, value and what is accepted", (key, value) => {
    const r = parse({ [key]: value });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    const [p] = r.problems;
    expect(p?.key).toBe(key);
    expect(p?.accepted.length).toBeGreaterThan(5);
    // A 64 KiB value never lands whole in an Event or a log line.
    expect(p?.value.length).toBeLessThanOrEqual(100);
    if (value.length < 64) expect(p?.value).toBe(value);
  });

  it("lists every problem at once", () => {
    const r = parse({
      "kubenap/idleAfter": "soon",
      "kubenap/replicaCount": "-1",
      "kubenap/proxy": "haproxy",
    });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems.map((p) => p.key).sort()).toEqual([
        "kubenap/idleAfter",
        "kubenap/proxy",
        "kubenap/replicaCount",
      ]);
  });
});
