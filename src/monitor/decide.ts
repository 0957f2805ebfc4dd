import type { Policy } from "../annotations/policy.js";
import type { ActivityResult } from "../metrics-sources/types.js";
import { MetricsSourceError } from "../metrics-sources/types.js";

/** Facts about one target at sweep time. */
export interface DecisionInput {
  policy: Policy;
  replicas: number;
  activity: ActivityResult | undefined;
  hasHpa: boolean;
  now: number;
  /** Latest of creation, last wake and last rollout progress (ms since epoch). */
  lastStartMs: number;
}

/** Why a target stays as it is, or that it goes to sleep after idleForMs. */
export type Decision =
  | { sleep: true; idleForMs: number }
  | {
      sleep: false;
      reason: "not-running" | "pinned" | "hpa" | "unknown" | "active" | "grace";
      detail: string;
    };

/** The sleep decision. Pure; unknown activity never leads to sleep. */
export function decide(i: DecisionInput): Decision {
  const idle = i.policy.idleAfterMs;
  if (i.replicas <= 0) return { sleep: false, reason: "not-running", detail: "already at 0 replicas" };
  const pinned = i.policy.awakeUntil?.getTime();
  if (pinned !== undefined && pinned > i.now) {
    return {
      sleep: false,
      reason: "pinned",
      detail: `pinned awake until ${i.policy.awakeUntil?.toISOString()}`,
    };
  }
  if (i.hasHpa)
    return { sleep: false, reason: "hpa", detail: "a HorizontalPodAutoscaler targets this Deployment" };
  const a = i.activity;
  if (a === undefined || a instanceof MetricsSourceError) {
    return {
      sleep: false,
      reason: "unknown",
      detail: a?.message ?? "the source did not answer for this target",
    };
  }
  const sinceStart = i.now - i.lastStartMs;
  if (sinceStart < idle) return { sleep: false, reason: "grace", detail: `started ${sinceStart} ms ago` };
  let idleFor: number;
  if (a.kind === "seen") {
    idleFor = i.now - a.at.getTime();
  } else {
    if (a.lookbackMs < idle) {
      return {
        sleep: false,
        reason: "unknown",
        detail: "the source's lookback window is shorter than idleAfter",
      };
    }
    idleFor = Math.min(a.lookbackMs, sinceStart);
  }
  if (idleFor < idle) return { sleep: false, reason: "active", detail: `last traffic ${idleFor} ms ago` };
  return { sleep: true, idleForMs: idleFor };
}
