import { NoSource } from "./none.js";
import type { TrafficMetricsSource } from "./types.js";

/** Everything a source factory may need, built once in main. */
export type SourceFactory = () => TrafficMetricsSource;

/** Kinds selectable with --metrics-source or kubenap/metricsSource. One line per source, alphabetical. */
export const SOURCE_FACTORIES = {
  none: () => new NoSource(),
} satisfies Record<string, SourceFactory>;

/** A registered source kind. */
export type SourceKind = keyof typeof SOURCE_FACTORIES;
/** The registered kinds, for validation and help. */
export const SOURCE_KINDS = Object.keys(SOURCE_FACTORIES) as SourceKind[];

/** Builds a source by kind; an unknown kind is an error that lists the available ones. */
export function createSource(kind: string): TrafficMetricsSource {
  if (!(kind in SOURCE_FACTORIES)) {
    throw new Error(`unknown metrics source "${kind}"; available: ${SOURCE_KINDS.join(", ")}`);
  }
  return SOURCE_FACTORIES[kind as SourceKind]();
}
