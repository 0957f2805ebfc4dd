import type { DemoArgs } from "./args.js";

/** Installs the demo into the cluster of args.kubeconfig. */
export async function runCluster(_root: string, _args: DemoArgs): Promise<number> {
  return Promise.reject(new Error("--kubeconfig: not yet"));
}
