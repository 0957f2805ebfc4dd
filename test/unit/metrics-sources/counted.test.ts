import { Registry } from "prom-client";
import { SourceErrorCounter } from "../../../src/metrics-sources/counted.js";
import { MetricsSourceError, type SourceTarget } from "../../../src/metrics-sources/types.js";

const target: SourceTarget = { namespace: "a", name: "b", idleAfterMs: 1 };

describe("kubenap_source_errors_total", () => {
  it("counts a source's failed calls and calls that left a target unknown, by source", async () => {
    const registry = new Registry();
    const counter = new SourceErrorCounter(registry);
    let mode: "ok" | "throw" | "unknown" = "throw";
    const source = counter.wrap({
      kind: "prometheus",
      lastActivity: () => {
        if (mode === "throw") return Promise.reject(new MetricsSourceError("prometheus", "down"));
        return Promise.resolve(
          new Map([
            [
              "a/b",
              mode === "ok"
                ? { kind: "none" as const, lookbackMs: 1 }
                : new MetricsSourceError("prometheus", "?"),
            ],
          ]),
        );
      },
    });
    await expect(source.lastActivity([target])).rejects.toThrow("down");
    mode = "unknown";
    await source.lastActivity([target]);
    mode = "ok";
    expect((await source.lastActivity([target])).get("a/b")).toEqual({ kind: "none", lookbackMs: 1 });
    expect(await registry.metrics()).toContain('kubenap_source_errors_total{source="prometheus"} 2');
  });
});
