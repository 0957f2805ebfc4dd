import type { V1Deployment } from "@kubernetes/client-node";

/** Field managers of GitOps tools that re-apply spec.replicas from a manifest. */
const GITOPS_MANAGERS = ["argocd-controller", "kustomize-controller", "helm-controller", "helm"];

/**
 * The GitOps manager that owns spec.replicas (from managedFields), if any. Such a tool scales the app
 * back up after every sleep; KubeNap tells the user how to hand replicas over instead of fighting it.
 */
export function gitOpsReplicasOwner(dep: V1Deployment): string | undefined {
  for (const mf of dep.metadata?.managedFields ?? []) {
    const manager = mf.manager ?? "";
    if (!GITOPS_MANAGERS.includes(manager)) continue;
    const spec = (mf.fieldsV1 as Record<string, unknown> | undefined)?.["f:spec"];
    if (spec && typeof spec === "object" && "f:replicas" in spec) return manager;
  }
  return undefined;
}
