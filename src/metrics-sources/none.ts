import {
  MetricsSourceError,
  targetKey,
  type ActivityResult,
  type SourceTarget,
  type TrafficMetricsSource,
} from "./types.js";

/** The default when no backend is configured: every target is unknown, so nothing is put to sleep. */
export class NoSource implements TrafficMetricsSource {
  readonly kind = "none";

  lastActivity(targets: readonly SourceTarget[]): Promise<Map<string, ActivityResult>> {
    const err = new MetricsSourceError(
      "none",
      "no metrics source is configured; KubeNap cannot tell idleness",
    );
    return Promise.resolve(new Map(targets.map((t) => [targetKey(t), err])));
  }
}
