import { EventEmitter } from "node:events";
import {
  MetricsSourceError,
  type ActivityResult,
  type SourceTarget,
  type TrafficMetricsSource,
} from "../../../src/metrics-sources/types.js";

/**
 * A source the test drives: traffic per target, failure on demand, an optional gate that holds the
 * call (to race a user update against a sweep), and an event per call so tests await sweeps.
 */
export class ManualSource extends EventEmitter implements TrafficMetricsSource {
  readonly kind = "test";
  readonly lastSeen = new Map<string, Date>();
  /** Targets that always saw traffic just now (an anchor keeps sweeps asking the source). */
  readonly busy = new Set<string>();
  failing: Error | undefined;
  gate: Promise<void> | undefined;
  calls = 0;

  async lastActivity(targets: readonly SourceTarget[]): Promise<Map<string, ActivityResult>> {
    this.calls++;
    this.emit("call", targets);
    if (this.gate) await this.gate;
    if (this.failing) throw new MetricsSourceError("test", this.failing.message);
    return new Map(
      targets.map((t) => {
        const key = `${t.namespace}/${t.name}`;
        const at = this.busy.has(key) ? new Date() : this.lastSeen.get(key);
        return [key, at ? { kind: "seen", at } : { kind: "none", lookbackMs: 24 * 3_600_000 }];
      }),
    );
  }

  /** Resolves on the next call that includes the target (or any target when none is given). */
  nextCall(key?: string, timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off("call", on);
        reject(new Error(`no sweep asked the source about ${key ?? "anything"} within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = (targets: SourceTarget[]): void => {
        if (key && !targets.some((t) => `${t.namespace}/${t.name}` === key)) return;
        clearTimeout(timer);
        this.off("call", on);
        resolve();
      };
      this.on("call", on);
    });
  }

  /** Resolves after n more calls. */
  async afterCalls(n: number, timeoutMs = 60_000): Promise<void> {
    for (let i = 0; i < n; i++) await this.nextCall(undefined, timeoutMs);
  }
}
