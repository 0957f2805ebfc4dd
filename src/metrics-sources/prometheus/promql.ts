import { parser } from "@prometheus-io/lezer-promql";
import { serviceOf, type SourceTarget } from "../types.js";

/** Placeholders a templated query may use. */
export const PLACEHOLDERS = ["namespace", "service", "ingress", "deployment"] as const;

/** The first syntax error of a PromQL expression (with its position), or undefined when it parses. */
export function promqlSyntaxError(text: string): string | undefined {
  if (text.trim() === "") return "empty query";
  let at: number | undefined;
  parser.parse(text).iterate({
    enter: (n) => {
      if (at === undefined && n.type.isError) at = n.from;
      return at === undefined;
    },
  });
  if (at === undefined) return undefined;
  const near = text.slice(Math.max(0, at - 10), at + 10);
  return `PromQL syntax error at character ${at + 1} (near "${near}")`;
}

/** A template with its placeholders replaced for one target, or why it cannot be. */
export type Expanded = { ok: true; text: string } | { ok: false; reason: string };

/** Replaces {namespace}, {service}, {ingress} and {deployment}; any other {word} is an error. */
export function expand(template: string, t: SourceTarget): Expanded {
  const values: Record<string, string | undefined> = {
    namespace: t.namespace,
    service: serviceOf(t),
    ingress: t.ingress,
    deployment: t.name,
  };
  let reason: string | undefined;
  const text = template.replace(/\{([a-zA-Z_]+)\}/g, (whole, name: string) => {
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      reason ??= `unknown placeholder {${name}}; available: ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")}`;
      return whole;
    }
    const v = values[name];
    if (v === undefined) reason ??= `{${name}} is used but the Deployment has no kubenap/${name}`;
    return v ?? whole;
  });
  return reason === undefined ? { ok: true, text } : { ok: false, reason };
}

/** A template checked once with dummy values: unknown placeholders and syntax errors are reported. */
export function checkTemplate(template: string): string | undefined {
  const sample: SourceTarget = {
    namespace: "ns",
    name: "deployment",
    service: "service",
    ingress: "ingress",
    idleAfterMs: 60_000,
  };
  const e = expand(template, sample);
  return e.ok ? promqlSyntaxError(e.text) : e.reason;
}

/** A regular-expression alternation matching exactly these values (RE2 syntax, as Prometheus uses). */
export function alternation(values: Iterable<string>): string {
  return [...new Set(values)]
    .sort()
    .map((v) => v.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&"))
    .join("|");
}

/** A double-quoted PromQL string literal. */
export const quote = (s: string): string => JSON.stringify(s);

/** A PromQL duration in whole seconds (at least 1s). */
export const seconds = (ms: number): string => `${Math.max(1, Math.ceil(ms / 1000))}s`;

/**
 * The PromQL that gives, per series, the time of the last sample at which the counter SEL moved
 * because of traffic, within the window: a sample that differs from the one a step (one scrape
 * interval) before and is not zero. A drop to zero is a counter reset, not traffic; a drop to a
 * positive value is a reset after which requests were counted (traffic); a series that appears with
 * a positive value counted requests before its first scrape (traffic).
 */
export function lastIncreaseExpr(selector: string, by: readonly string[], windowMs: number, stepMs: number) {
  const step = seconds(stepMs);
  const moved = `((${selector} != ${selector} offset ${step}) > 0)`;
  const born = `(${selector} > 0 unless ${selector} offset ${step})`;
  const inner = `(timestamp(${selector}) and ${moved}) or timestamp(${born})`;
  // The subquery only evaluates at multiples of the step, so the last partial step is asked at `now`
  // too; where both answer, the instant one is the later.
  return `max by (${by.join(", ")}) ((${inner}) or max_over_time((${inner})[${seconds(windowMs)}:${step}]))`;
}

/** The PromQL that gives the last time a user expression (positive while there is traffic) was positive. */
export function lastPositiveExpr(expr: string, windowMs: number, stepMs: number): string {
  const positive = `timestamp((${expr}) > 0)`;
  return `max((${positive}) or max_over_time(${positive}[${seconds(windowMs)}:${seconds(stepMs)}]))`;
}

/** Tags every series of a vector with a constant label, so several expressions share one query. */
export const tag = (expr: string, label: string, value: string): string =>
  `label_replace(${expr}, ${quote(label)}, ${quote(value)}, "", "")`;
