import { readFileSync } from "node:fs";
import type { KubeConfig } from "@kubernetes/client-node";

/** Where a pod's service account token mount says which namespace the pod runs in. */
export const POD_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/**
 * The Lease's namespace when none is configured: the pod's own namespace in a cluster (so
 * `kubectl apply -k deploy/` works in any namespace), else the kubeconfig context's namespace, else
 * `default` — so `kubenap run --kubeconfig …` works against any cluster without flags.
 */
export function defaultLeaseNamespace(kc: KubeConfig, podNamespaceFile = POD_NAMESPACE_FILE): string {
  try {
    const ns = readFileSync(podNamespaceFile, "utf8").trim();
    if (ns) return ns;
  } catch {
    // not in a pod
  }
  return kc.getContextObject(kc.getCurrentContext())?.namespace || "default";
}
