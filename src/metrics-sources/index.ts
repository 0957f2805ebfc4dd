import { ConfigError, ConfigErrors } from "../config/config.js";
import { createDatadogSource } from "./datadog.js";
import { createInfluxSource } from "./influxdb.js";
import { createLogsSource } from "./logs.js";
import { NoSource } from "./none.js";
import { createPrometheusSource } from "./prometheus.js";
import type { SourceContext, TrafficMetricsSource } from "./types.js";

/** Builds one source from the configuration; throws ConfigErrors naming the options at fault. */
export type SourceFactory = (ctx: SourceContext) => TrafficMetricsSource;

/** Kinds selectable with --metrics-source or kubenap/metricsSource. One line per source, alphabetical. */
export const SOURCE_FACTORIES = {
  datadog: createDatadogSource,
  influxdb: createInfluxSource,
  logs: createLogsSource,
  none: () => new NoSource(),
  prometheus: createPrometheusSource,
} satisfies Record<string, SourceFactory>;

/** A registered source kind. */
export type SourceKind = keyof typeof SOURCE_FACTORIES;
/** The registered kinds, for validation and help. */
export const SOURCE_KINDS = Object.keys(SOURCE_FACTORIES) as SourceKind[];

/** Builds a source by kind; an unknown kind is an error that lists the available ones. */
export function createSource(kind: string, ctx: SourceContext): TrafficMetricsSource {
  if (!(kind in SOURCE_FACTORIES)) {
    throw new Error(`unknown metrics source "${kind}"; available: ${SOURCE_KINDS.join(", ")}`);
  }
  return SOURCE_FACTORIES[kind as SourceKind](ctx);
}

/**
 * Builds every configured source (--metrics-source and --metrics-sources), listing all their
 * configuration problems at once.
 */
export function createSources(ctx: SourceContext): Map<string, TrafficMetricsSource> {
  const kinds = [...new Set([ctx.config.metricsSource, ...ctx.config.metricsSources])];
  const out = new Map<string, TrafficMetricsSource>();
  const problems: ConfigErrors["problems"] = [];
  for (const kind of kinds) {
    if (!(kind in SOURCE_FACTORIES)) {
      const option = kind === ctx.config.metricsSource ? "--metrics-source" : "--metrics-sources";
      problems.push(
        new ConfigError(option, kind, `unknown metrics source; available: ${SOURCE_KINDS.join(", ")}`),
      );
      continue;
    }
    try {
      out.set(kind, createSource(kind, ctx));
    } catch (err) {
      if (err instanceof ConfigErrors) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new ConfigErrors(problems);
  return out;
}
