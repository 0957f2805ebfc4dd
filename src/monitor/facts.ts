import type { V1Deployment } from "@kubernetes/client-node";
import { targetKey } from "../metrics-sources/types.js";

const ms = (d: Date | string | undefined): number => (d ? new Date(d).getTime() || 0 : 0);

/**
 * Latest of creation, last wake (kubenap/wokeAt) and last rollout progress (the Progressing
 * condition's lastUpdateTime): the grace period runs from here.
 */
export function lastStartMs(dep: V1Deployment, wokeAt: Date | undefined): number {
  const progressing = dep.status?.conditions?.find((c) => c.type === "Progressing");
  return Math.max(ms(dep.metadata?.creationTimestamp), ms(wokeAt), ms(progressing?.lastUpdateTime));
}

/** `namespace/name` of a Deployment. */
export const depKey = (dep: V1Deployment): string =>
  targetKey({ namespace: dep.metadata?.namespace ?? "", name: dep.metadata?.name ?? "" });
