import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigErrors, loadConfig } from "../../../src/config/config.js";

const load = (argv: string[] = [], env: Record<string, string> = {}) =>
  loadConfig({ argv, env, hostname: "host", pid: 7 });

describe("configuration", () => {
  it("has sensible defaults", () => {
    const c = load();
    expect(c).toMatchObject({
      metricsSource: "none",
      sweepIntervalMs: 30_000,
      idleAfterMs: 900_000,
      wakeTimeoutMs: 300_000,
      wakePort: 8080,
      holdLimitMs: 20_000,
      leaderElection: true,
      identity: "host-7",
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each<[string[], Record<string, string>, Record<string, unknown>]>([
    [["--sweep-interval", "5s"], {}, { sweepIntervalMs: 5_000 }],
    [["--wake-port=9090"], {}, { wakePort: 9090 }],
    [[], { KUBENAP_HOLD_LIMIT: "10s" }, { holdLimitMs: 10_000 }],
    [["--hold-limit", "5s"], { KUBENAP_HOLD_LIMIT: "10s" }, { holdLimitMs: 5_000 }],
    [["--namespaces", "a, b"], {}, { namespaces: ["a", "b"] }],
    [["--leader-election", "false"], {}, { leaderElection: false }],
    [[], {}, { leaseDurationMs: 15_000, leaseRenewDeadlineMs: 10_000, leaseNamespace: "" }],
    [["--lease-duration", "6s"], {}, { leaseRenewDeadlineMs: 4_000 }],
    [["--lease-duration", "6s", "--lease-renew-deadline", "5s"], {}, { leaseRenewDeadlineMs: 5_000 }],
  ])("reads %j with env %j", (argv, env, expected) => {
    expect(load(argv, env)).toMatchObject(expected);
  });

  it.each<[string[], string]>([
    [["--lease-duration", "6s", "--lease-renew-deadline", "6s"], "must be below --lease-duration"],
    [["--lease-renew-deadline", "2s", "--lease-retry", "2s"], "must be below --lease-renew-deadline"],
  ])("rejects leader election timings %j that could let two replicas act", (argv, message) => {
    expect(() => load(argv)).toThrow(message);
  });

  it("reads a YAML file, which flags and env override", () => {
    const dir = mkdtempSync(join(tmpdir(), "kubenap-cfg-"));
    const file = join(dir, "config.yaml");
    writeFileSync(file, "sweepInterval: 10s\nnamespaces: [x, y]\nwakePort: 8181\n");
    expect(load(["--config", file])).toMatchObject({
      sweepIntervalMs: 10_000,
      namespaces: ["x", "y"],
      wakePort: 8181,
    });
    expect(load(["--config", file, "--wake-port", "1"], { KUBENAP_WAKE_PORT: "2" })).toMatchObject({
      wakePort: 1,
    });
  });

  it("lists every problem at once, naming where each came from", () => {
    expect.assertions(4);
    try {
      load(["--sweep-interval", "10", "--bogus", "1", "--log-format", "xml"], { KUBENAP_WAKE_PORT: "99999" });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigErrors);
      const keys = (e as ConfigErrors).problems.map((p) => p.key).sort();
      expect(keys).toEqual(["--bogus", "--log-format", "--sweep-interval", "KUBENAP_WAKE_PORT"]);
      expect((e as Error).message).toContain("expected a duration");
      expect((e as Error).message).toContain("between 0 and 65535");
    }
  });

  it("names an unknown flag as unknown, and never takes the next flag for a value", () => {
    const problems = (argv: string[]): string[] => {
      try {
        load(argv);
      } catch (e) {
        return (e as ConfigErrors).problems.map((p) => `${p.key}: ${p.reason}`);
      }
      return [];
    };
    expect(problems(["--metrics-source", "none", "--bogus"])).toEqual([
      expect.stringMatching(/^--bogus: unknown option/),
    ]);
    expect(problems(["--bogus", "--metrics-source", "none"])).toEqual([
      expect.stringMatching(/^--bogus: unknown option/),
    ]);
    expect(problems(["--namespaces", "--metrics-source", "none"])).toEqual([
      expect.stringMatching(/^--namespaces: needs a value/),
    ]);
    expect(problems(["--config"])).toEqual([expect.stringMatching(/^--config: needs a value/)]);
    expect(problems(["--kubeconfig=--odd-but-valid"])).toEqual([]);
  });

  it("reports an unreadable or malformed file", () => {
    expect(() => load(["--config", "/nonexistent/kubenap.yaml"])).toThrow(/cannot read/);
    const dir = mkdtempSync(join(tmpdir(), "kubenap-cfg-"));
    writeFileSync(join(dir, "bad.yaml"), "- a\n- b\n");
    expect(() => load(["--config", join(dir, "bad.yaml")])).toThrow(/YAML mapping/);
  });
});
