import {
  PatchStrategy,
  setHeaderOptions,
  type AppsV1Api,
  type ConfigurationOptions,
  type V1Deployment,
} from "@kubernetes/client-node";
import { isOptedIn } from "../annotations/policy.js";
import { withSignal } from "./clients.js";
import { isConflict } from "./errors.js";

const MERGE = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Thrown when a Deployment is not (or no longer) opted in: KubeNap must not touch it. */
export class NotOptedInError extends Error {
  constructor(readonly target: string) {
    super(`deployment ${target} is not labelled kubenap/enabled=true`);
    this.name = "NotOptedInError";
  }
}

/** Outcome of a scale-up: whether this call scaled, and the Deployment as last seen. */
export interface ScaleUpResult {
  scaled: boolean;
  deployment: V1Deployment;
}

/** The writes KubeNap makes to Deployments; each targeted, and conditional where it decides. */
export class DeploymentScaler {
  constructor(private readonly apps: AppsV1Api) {}

  /**
   * Scales to zero and writes the annotations in ONE update, conditional on the resourceVersion the
   * decision was made on. Returns "conflict" when the Deployment changed meanwhile (re-evaluate later).
   */
  async sleep(dep: V1Deployment, annotations: Record<string, string>): Promise<"slept" | "conflict"> {
    return this.conditional(dep, { metadata: { annotations }, spec: { replicas: 0 } });
  }

  /**
   * Writes annotations only, conditional on the resourceVersion they were decided on (the monitor's
   * "found running" correction). Returns "conflict" when the Deployment changed meanwhile.
   */
  async annotateIfUnchanged(
    dep: V1Deployment,
    annotations: Record<string, string>,
  ): Promise<"written" | "conflict"> {
    return (await this.conditional(dep, { metadata: { annotations } })) === "slept" ? "written" : "conflict";
  }

  /**
   * Reads the Deployment fresh and, if it is at zero replicas, writes `spec.replicas` ALONE in a patch
   * with a resourceVersion precondition: several KubeNap replicas waking at once make exactly one
   * scale-up, and the deployment controller scales the ReplicaSet at once (annotations in the same
   * update make it sync them to the ReplicaSet first, ~150 ms). The caller writes the wake annotations
   * afterwards with `annotate`; a crash in between is healed by the monitor (state asleep, replicas > 0).
   */
  async wake(
    namespace: string,
    name: string,
    replicasFor: (dep: V1Deployment) => number,
    signal?: AbortSignal,
  ): Promise<ScaleUpResult> {
    const opts = signal ? withSignal(signal) : undefined;
    for (let attempt = 0; ; attempt++) {
      const dep = await this.apps.readNamespacedDeployment({ name, namespace }, opts);
      if (!isOptedIn(dep.metadata?.labels)) throw new NotOptedInError(`${namespace}/${name}`);
      if ((dep.spec?.replicas ?? 1) > 0) return { scaled: false, deployment: dep };
      const replicas = replicasFor(dep);
      try {
        const updated = await this.apps.patchNamespacedDeployment(
          {
            name,
            namespace,
            body: { metadata: { resourceVersion: dep.metadata?.resourceVersion }, spec: { replicas } },
          },
          withMerge(opts),
        );
        return { scaled: true, deployment: updated };
      } catch (err) {
        if (!isConflict(err) || attempt >= 4) throw err;
      }
    }
  }

  /**
   * Writes kubenap/* annotations that record a wake, only while the Deployment is still scaled up:
   * read fresh, then a patch with that resourceVersion as precondition (retried on conflict). A
   * sleep that came in between (a short idleAfter, another replica) is never overwritten with
   * `state: awake` at zero replicas. Returns "asleep" when it found the Deployment at zero.
   */
  async annotate(
    namespace: string,
    name: string,
    annotations: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<"written" | "asleep"> {
    const opts = signal ? withSignal(signal) : undefined;
    for (let attempt = 0; ; attempt++) {
      const dep = await this.apps.readNamespacedDeployment({ name, namespace }, opts);
      if ((dep.spec?.replicas ?? 1) <= 0) return "asleep";
      try {
        await this.apps.patchNamespacedDeployment(
          {
            name,
            namespace,
            body: { metadata: { annotations, resourceVersion: dep.metadata?.resourceVersion } },
          },
          withMerge(opts),
        );
        return "written";
      } catch (err) {
        // The status changes often while pods start: read again and retry.
        if (!isConflict(err) || attempt >= 4) throw err;
      }
    }
  }

  private async conditional(dep: V1Deployment, body: DeploymentPatch): Promise<"slept" | "conflict"> {
    const { name = "", namespace = "", resourceVersion } = dep.metadata ?? {};
    if (!resourceVersion) throw new Error(`deployment ${namespace}/${name} has no resourceVersion`);
    try {
      await this.apps.patchNamespacedDeployment(
        { name, namespace, body: { ...body, metadata: { ...body.metadata, resourceVersion } } },
        MERGE,
      );
      return "slept";
    } catch (err) {
      if (isConflict(err)) return "conflict";
      throw err;
    }
  }
}

interface DeploymentPatch {
  metadata: { annotations?: Record<string, string>; resourceVersion?: string };
  spec?: { replicas: number };
}

const withMerge = (opts: ConfigurationOptions | undefined): ConfigurationOptions =>
  setHeaderOptions("Content-Type", PatchStrategy.MergePatch, opts);
