import { KEYS } from "./keys.js";
import type { Policy } from "./policy.js";

// The kubenap/* annotations KubeNap writes, built in one place: the monitor and `kubenap sleep` write the
// same sleep, the waker and `kubenap wake` record the same wake.

/** The sleep update's annotations, and the count a wake will restore. */
export function sleepAnnotations(
  replicas: number,
  policy: Pick<Policy, "replicaCount" | "replicaCountRecorded">,
  now: number,
): { annotations: Record<string, string>; restore: number } {
  // A user-set kubenap/replicaCount is kept; a recorded one (or none) is refreshed from the live count.
  const record = policy.replicaCount === undefined || policy.replicaCountRecorded;
  return {
    annotations: {
      [KEYS.state.key]: "asleep",
      [KEYS.sleptAt.key]: new Date(now).toISOString(),
      ...(record && {
        [KEYS.replicaCount.key]: String(replicas),
        [KEYS.replicaCountRecorded.key]: String(replicas),
      }),
    },
    restore: record ? replicas : (policy.replicaCount ?? replicas),
  };
}

/** What records a wake, written once the app is ready (or found running). */
export const wakeAnnotations = (now: number): Record<string, string> => ({
  [KEYS.state.key]: "awake",
  [KEYS.wokeAt.key]: new Date(now).toISOString(),
});
