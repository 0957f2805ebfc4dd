import { PatchStrategy, setHeaderOptions, type AppsV1Api, type V1Deployment } from "@kubernetes/client-node";
import { isOptedIn } from "../annotations/policy.js";
import { isConflict } from "./errors.js";

const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Thrown when a Deployment is not (or no longer) opted in: KubeNap must not touch it. */
export class NotOptedInError extends Error {
  constructor(readonly target: string) {
    super(`deployment ${target} is not labelled kubenap/enabled=true`);
    this.name = "NotOptedInError";
  }
}

/** What a wake should write, decided from the fresh Deployment. */
export interface WakePlan {
  replicas: number;
  annotations: Record<string, string>;
}

/** Outcome of a scale-up: whether this call scaled, and the Deployment as last seen. */
export interface ScaleUpResult {
  scaled: boolean;
  deployment: V1Deployment;
}

/** The writes KubeNap makes to Deployments; every one carries a resourceVersion precondition. */
export class DeploymentScaler {
  constructor(private readonly apps: AppsV1Api) {}

  /**
   * Scales to zero and writes the annotations in ONE update, conditional on the resourceVersion the
   * decision was made on. Returns "conflict" when the Deployment changed meanwhile (re-evaluate later).
   */
  async sleep(dep: V1Deployment, annotations: Record<string, string>): Promise<"slept" | "conflict"> {
    const { name = "", namespace = "", resourceVersion } = dep.metadata ?? {};
    if (!resourceVersion) throw new Error(`deployment ${namespace}/${name} has no resourceVersion`);
    try {
      await this.apps.patchNamespacedDeployment(
        { name, namespace, body: { metadata: { resourceVersion, annotations }, spec: { replicas: 0 } } },
        MERGE,
      );
      return "slept";
    } catch (err) {
      if (isConflict(err)) return "conflict";
      throw err;
    }
  }

  /**
   * Reads the Deployment fresh and, if it is at zero replicas, scales it up in one conditional update
   * that also writes the wake annotations. Safe to run from several processes at once: only one update
   * wins, the others see it awake. (Annotations in the same update cost time: the deployment
   * controller syncs them to the ReplicaSet before scaling it. Split in two updates the wake is faster
   * but bumps metadata.generation twice; `npm run bench` measures both.)
   */
  async wake(namespace: string, name: string, plan: (dep: V1Deployment) => WakePlan): Promise<ScaleUpResult> {
    for (let attempt = 0; ; attempt++) {
      const dep = await this.apps.readNamespacedDeployment({ name, namespace });
      if (!isOptedIn(dep.metadata?.labels)) throw new NotOptedInError(`${namespace}/${name}`);
      if ((dep.spec?.replicas ?? 1) > 0) return { scaled: false, deployment: dep };
      const { replicas, annotations } = plan(dep);
      try {
        const updated = await this.apps.patchNamespacedDeployment(
          {
            name,
            namespace,
            body: {
              metadata: { resourceVersion: dep.metadata?.resourceVersion, annotations },
              spec: { replicas },
            },
          },
          MERGE,
        );
        return { scaled: true, deployment: updated };
      } catch (err) {
        if (!isConflict(err) || attempt >= 4) throw err;
      }
    }
  }
}
