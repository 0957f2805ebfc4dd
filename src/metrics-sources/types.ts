import type { V1Deployment, V1Ingress } from "@kubernetes/client-node";
import type { Policy } from "../annotations/policy.js";
import type { Logger } from "winston";
import type { Clock, Timers } from "../clock.js";
import type { Config } from "../config/config.js";

/** A Deployment a source is asked about. */
export interface SourceTarget {
  namespace: string;
  name: string;
  service?: string;
  ingress?: string;
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

/** What a source is asked about one Deployment, from its parsed policy (the monitor, status, doctor). */
export function sourceTargetOf(
  dep: V1Deployment,
  policy: Pick<Policy, "idleAfterMs" | "service" | "ingress" | "query">,
): SourceTarget {
  return {
    namespace: dep.metadata?.namespace ?? "",
    name: dep.metadata?.name ?? "",
    idleAfterMs: policy.idleAfterMs,
    ...(policy.service !== undefined && { service: policy.service }),
    ...(policy.ingress !== undefined && { ingress: policy.ingress }),
    ...(policy.query !== undefined && { query: policy.query }),
  };
}

/** The `namespace/name` key used everywhere for one Deployment. */
export const targetKey = (t: { namespace: string; name: string }): string => `${t.namespace}/${t.name}`;

/** Everything a source factory may use, built once in main. */
export interface SourceContext {
  config: Readonly<Config>;
  clock: Clock & Timers;
  logger: Logger;
  /** The Ingresses KubeNap watches (an informer cache), to map hosts and paths to apps. */
  ingresses: { list(): V1Ingress[] };
}

/** The Service a source matches a target by: kubenap/service, else the Deployment's name. */
export const serviceOf = (t: SourceTarget): string => t.service ?? t.name;

/** A source that holds files or timers; main closes it at shutdown. */
export interface Closable {
  close(): Promise<void> | void;
}
