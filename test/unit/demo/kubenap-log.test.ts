// The view reads KubeNap's own log lines: they are produced here by KubeNap's logger (src/log.ts) with
// the messages and fields the monitor and the waker log, and details made by the real decide().
import { PassThrough } from "node:stream";
import winston from "winston";
import type { Policy } from "../../../src/annotations/policy.js";
import { createLogger } from "../../../src/log.js";
import { decide } from "../../../src/monitor/decide.js";
import { parseKubenapLine, type KubenapEvent } from "../../../demo/kubenap-log.js";

const NOW = Date.parse("2026-11-26T12:00:00Z");
const policy: Policy = {
  idleAfterMs: 30_000,
  replicaCountRecorded: false,
  proxy: "traefik",
  metricsSource: "prometheus",
  wakeTimeoutMs: 300_000,
  state: "awake",
};

/** Lines as `kubenap run --log-format json` writes them. */
function kubenapLines(write: (log: winston.Logger) => void): string[] {
  const logger = createLogger({ format: "json", level: "debug" });
  const out = new PassThrough();
  logger.clear();
  logger.add(new winston.transports.Stream({ stream: out }));
  write(logger);
  return String(out.read() ?? "")
    .split("\n")
    .filter(Boolean);
}

const parsed = (write: (log: winston.Logger) => void): (KubenapEvent | undefined)[] =>
  kubenapLines(write).map((l) => parseKubenapLine(l, 0));

describe("reading KubeNap's log for the live view", () => {
  it("the monitor's verdict carries how long ago it last saw traffic (reason active)", () => {
    const d = decide({
      policy,
      replicas: 1,
      activity: { kind: "seen", at: new Date(NOW - 12_000) },
      hasHpa: false,
      now: NOW,
      lastStartMs: NOW - 600_000,
    });
    expect(d.sleep).toBe(false);
    const [ev] = parsed((log) =>
      log.child({ component: "monitor" }).debug("stays awake", {
        namespace: "ns",
        deployment: "blog",
        ...(d.sleep ? {} : { reason: d.reason, detail: d.detail }),
      }),
    );
    expect(ev).toMatchObject({ kind: "verdict", app: "ns/blog", reason: "active", agoMs: 12_000 });
  });

  it("the grace after a start carries how long ago it started (reason grace)", () => {
    const d = decide({
      policy,
      replicas: 1,
      activity: { kind: "none", lookbackMs: 60_000 },
      hasHpa: false,
      now: NOW,
      lastStartMs: NOW - 5_000,
    });
    const [ev] = parsed((log) =>
      log.debug("stays awake", {
        namespace: "ns",
        deployment: "blog",
        ...(d.sleep ? {} : { reason: d.reason, detail: d.detail }),
      }),
    );
    expect(ev).toMatchObject({ kind: "verdict", reason: "grace", agoMs: 5_000 });
  });

  it("an unknown verdict keeps its detail and has no countdown", () => {
    const [ev] = parsed((log) =>
      log.debug("stays awake", {
        namespace: "ns",
        deployment: "blog",
        reason: "unknown",
        detail: "Prometheus is down",
      }),
    );
    expect(ev).toMatchObject({ kind: "verdict", reason: "unknown", detail: "Prometheus is down" });
    expect(ev).not.toHaveProperty("agoMs");
  });

  it("sleeps, scale-ups, wakes with their duration, failures; the time is the line's timestamp", () => {
    const evs = parsed((log) => {
      log.info("put to sleep", {
        namespace: "ns",
        deployment: "blog",
        idleForMs: 31_000,
        replicas: 1,
        restore: 1,
      });
      const waker = log.child({ component: "waker", namespace: "ns", deployment: "shop" });
      waker.info("scaled up", { replicas: 1 });
      waker.info("ready", { timeToReadyMs: 214 });
      waker.warn("wake timed out", { afterMs: 300_000 });
      log.warn("metrics source failed", { source: "prometheus", targets: 2, reason: "connection refused" });
    });
    expect(evs.map((e) => e?.kind)).toEqual(["slept", "scaled-up", "woke", "wake-failed", "source-failed"]);
    expect(evs[0]).toMatchObject({ app: "ns/blog", idleForMs: 31_000 });
    expect(evs[2]).toMatchObject({ app: "ns/shop", ms: 214 });
    expect(Math.abs((evs[2]?.at ?? 0) - Date.now())).toBeLessThan(60_000);
  });

  it.each(["", "not json", "{broken", '{"message":"informers synced"}', '{"message":"ready"}'])(
    "ignores %j",
    (line) => {
      expect(parseKubenapLine(line, 0)).toBeUndefined();
    },
  );
});
