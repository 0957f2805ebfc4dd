import { parseDuration } from "../duration.js";
import { KEYS, type KeyName } from "./keys.js";

/** Ingress kinds KubeNap can render configuration for. */
export const PROXY_KINDS = ["istio", "nginx", "traefik"] as const;
/** One of PROXY_KINDS. */
export type ProxyKind = (typeof PROXY_KINDS)[number];

/** Controller-wide values used where a Deployment sets nothing. */
export interface PolicyDefaults {
  idleAfterMs: number;
  wakeTimeoutMs: number;
  proxy: ProxyKind;
  metricsSource: string;
}

/** What a Deployment's labels and annotations ask of KubeNap, validated. */
export interface Policy {
  service?: string;
  ingress?: string;
  idleAfterMs: number;
  /** Set by the user, or recorded by KubeNap when replicaCountRecorded is true. */
  replicaCount?: number;
  /** True when kubenap/replicaCount holds the value KubeNap itself recorded (refreshed on each sleep). */
  replicaCountRecorded: boolean;
  proxy: ProxyKind;
  metricsSource: string;
  query?: string;
  wakeTimeoutMs: number;
  state: "awake" | "asleep";
  sleptAt?: Date;
  wokeAt?: Date;
  /** kubenap/awakeUntil: the monitor does not put the app to sleep before this time. */
  awakeUntil?: Date;
}

/** One invalid value: which key, what it held (shortened), what is accepted. */
export interface AnnotationProblem {
  key: string;
  value: string;
  accepted: string;
}

/** Either a policy or every problem found. */
export type PolicyResult = { ok: true; policy: Policy } | { ok: false; problems: AnnotationProblem[] };

const MAX_VALUE = 1024;
const MAX_QUERY = 4096;
const MAX_DURATION_MS = 30 * 24 * 3_600_000;
/** spec.replicas is an int32: every count the API server accepts can be recorded and restored. */
export const MAX_REPLICAS = 2_147_483_647;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Shortens a value for messages, so a 64 KiB annotation never lands whole in an Event or a log line. */
export function shorten(value: string, max = 64): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`;
}

/** A kubenap/replicaCount value: a whole number from 1 to MAX_REPLICAS, or undefined when it is not one. */
export function parseReplicaCount(text: string): number | undefined {
  const n = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= MAX_REPLICAS ? n : undefined;
}

/** True when the Deployment carries the opt-in label. */
export function isOptedIn(labels: Record<string, string> | undefined): boolean {
  return labels?.[KEYS.enabled.key] === "true";
}

/**
 * Parses a Deployment's kubenap/* annotations into a Policy, or lists every invalid value at once.
 * Pure: no I/O, never throws.
 */
export function parsePolicy(
  annotations: Record<string, string> | undefined,
  defaults: PolicyDefaults,
  sourceKinds: readonly string[],
): PolicyResult {
  const a = annotations ?? {};
  const problems: AnnotationProblem[] = [];
  const bad = (name: KeyName, value: string, accepted: string): undefined => {
    problems.push({ key: KEYS[name].key, value: shorten(value), accepted });
    return undefined;
  };
  const read = (name: KeyName): string | undefined => {
    const v = a[KEYS[name].key];
    if (v === undefined) return undefined;
    if (v.length > MAX_VALUE && name !== "query") return bad(name, v, `at most ${MAX_VALUE} characters`);
    return v;
  };
  const name = (n: "service" | "ingress", rule: RegExp, what: string): string | undefined => {
    const v = read(n);
    if (v === undefined) return undefined;
    return rule.test(v) ? v : bad(n, v, what);
  };
  const duration = (n: "idleAfter" | "wakeTimeout", fallback: number): number => {
    const v = read(n);
    if (v === undefined) return fallback;
    const ms = parseDuration(v);
    if (ms === null || ms <= 0 || ms > MAX_DURATION_MS) {
      bad(n, v, "a positive duration such as 90s, 10m or 1h30m, at most 720h");
      return fallback;
    }
    return ms;
  };
  const time = (n: "sleptAt" | "wokeAt" | "awakeUntil"): Date | undefined => {
    const v = read(n);
    if (v === undefined) return undefined;
    const d = new Date(v);
    return RFC3339.test(v) && !Number.isNaN(d.getTime()) ? d : bad(n, v, "an RFC 3339 time");
  };
  const oneOf = <T extends string>(n: KeyName, allowed: readonly T[], fallback: T): T => {
    const v = read(n);
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    bad(n, v, `one of ${allowed.join(", ")}`);
    return fallback;
  };

  const service = name("service", DNS_LABEL, "a Service name (DNS label, at most 63 characters)");
  const ingress = name("ingress", DNS_SUBDOMAIN, "an Ingress name (DNS subdomain)");
  const idleAfterMs = duration("idleAfter", defaults.idleAfterMs);
  const wakeTimeoutMs = duration("wakeTimeout", defaults.wakeTimeoutMs);
  const proxy = oneOf("proxy", PROXY_KINDS, defaults.proxy);
  const metricsSource = oneOf("metricsSource", sourceKinds, defaults.metricsSource);
  const state = oneOf("state", ["awake", "asleep"] as const, "awake");
  const replicaText = read("replicaCount");
  const replicaCount = replicaText === undefined ? undefined : parseReplicaCount(replicaText);
  if (replicaText !== undefined && replicaCount === undefined) {
    bad("replicaCount", replicaText, `a whole number from 1 to ${MAX_REPLICAS}`);
  }
  const query = read("query");
  if (query !== undefined && (query.trim() === "" || query.length > MAX_QUERY)) {
    bad("query", query, `a non-empty query of at most ${MAX_QUERY} characters`);
  }
  const sleptAt = time("sleptAt");
  const wokeAt = time("wokeAt");
  const awakeUntil = time("awakeUntil");

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    policy: {
      ...(service !== undefined && { service }),
      ...(ingress !== undefined && { ingress }),
      idleAfterMs,
      ...(replicaCount !== undefined && { replicaCount }),
      replicaCountRecorded: isRecorded(a[KEYS.replicaCountRecorded.key], replicaText),
      proxy,
      metricsSource,
      ...(query !== undefined && { query }),
      wakeTimeoutMs,
      state,
      ...(sleptAt && { sleptAt }),
      ...(wokeAt && { wokeAt }),
      ...(awakeUntil && { awakeUntil }),
    },
  };
}

/**
 * KubeNap marks a count it recorded with the same number in kubenap/replicaCountRecorded; when the
 * user changes kubenap/replicaCount the two differ and the user's value is kept. ("true" is the
 * marker of earlier versions.)
 */
function isRecorded(marker: string | undefined, count: string | undefined): boolean {
  return marker !== undefined && (marker === "true" || marker === count);
}

/** A problem as one sentence, for Events and logs. */
export function describeProblem(p: AnnotationProblem): string {
  return `annotation ${p.key}="${p.value}" is invalid: expected ${p.accepted}`;
}
