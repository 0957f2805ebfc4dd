import {
  parsePolicy,
  type AnnotationProblem,
  type Policy,
  type PolicyDefaults,
} from "../annotations/policy.js";

/** A policy that is always usable, and what was wrong with the annotations it came from. */
export interface LenientPolicy {
  policy: Policy;
  /** Empty when every kubenap/* annotation is valid. */
  problems: AnnotationProblem[];
}

/**
 * Parses a Deployment's annotations for the wake path, which must never refuse a sleeping app: the
 * invalid keys are dropped (their defaults apply) and listed, so the waker can warn about them.
 */
export function parseLenient(
  annotations: Record<string, string> | undefined,
  defaults: PolicyDefaults,
  sourceKinds: readonly string[],
): LenientPolicy {
  const first = parsePolicy(annotations, defaults, sourceKinds);
  if (first.ok) return { policy: first.policy, problems: [] };
  const bad = new Set(first.problems.map((p) => p.key));
  const kept = Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => !bad.has(k)));
  const second = parsePolicy(kept, defaults, sourceKinds);
  if (second.ok) return { policy: second.policy, problems: first.problems };
  // Unreachable with today's parser (each key is checked alone); defaults are the safe answer anyway.
  const fallback = parsePolicy({}, defaults, sourceKinds);
  if (!fallback.ok) throw new Error("the policy defaults do not parse");
  return { policy: fallback.policy, problems: first.problems };
}
