import { Counter, type Registry } from "prom-client";
import {
  MetricsSourceError,
  type ActivityResult,
  type SourceTarget,
  type TrafficMetricsSource,
} from "./types.js";

/** `kubenap_source_errors_total{source}`: calls of a source that left at least one target unknown. */
export class SourceErrorCounter {
  private readonly counter: Counter<"source">;

  constructor(registry: Registry) {
    this.counter = new Counter({
      name: "kubenap_source_errors_total",
      help: "Metrics source calls that failed or left a target unknown, by source.",
      labelNames: ["source"] as const,
      registers: [registry],
    });
  }

  /** Wraps a source so its failures are counted (the answers are passed through unchanged). */
  wrap(source: TrafficMetricsSource): TrafficMetricsSource {
    const counter = this.counter;
    return {
      kind: source.kind,
      async lastActivity(targets: readonly SourceTarget[]): Promise<Map<string, ActivityResult>> {
        try {
          const answer = await source.lastActivity(targets);
          if ([...answer.values()].some((r) => r instanceof MetricsSourceError))
            counter.inc({ source: source.kind });
          return answer;
        } catch (err) {
          counter.inc({ source: source.kind });
          throw err;
        }
      },
    };
  }
}
