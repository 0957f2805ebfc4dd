/** A Deployment a source is asked about. */
export interface SourceTarget {
  namespace: string;
  name: string;
  service?: string;
  query?: string;
  idleAfterMs: number;
}

/** What a source knows of one target: last traffic at a time, or none within its lookback window. */
export type Activity = { kind: "seen"; at: Date } | { kind: "none"; lookbackMs: number };

/** Thrown (or returned per target) when a source cannot tell; unknown never leads to sleep. */
export class MetricsSourceError extends Error {
  constructor(
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MetricsSourceError";
  }
}

/** Per-target answer of one batched call: an Activity, or the error that makes it unknown. */
export type ActivityResult = Activity | MetricsSourceError;

/** A backend that tells when each target last saw traffic. One call per sweep for all its targets. */
export interface TrafficMetricsSource {
  readonly kind: string;
  /** Keys are `namespace/name`. A target missing from the answer is unknown. */
  lastActivity(targets: readonly SourceTarget[]): Promise<Map<string, ActivityResult>>;
}

/** The `namespace/name` key used everywhere for one Deployment. */
export const targetKey = (t: { namespace: string; name: string }): string => `${t.namespace}/${t.name}`;
