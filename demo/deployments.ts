// The sample apps' Deployments as the live view sees them: KubeNap's own restarted informer
// (src/k8s/watch-set.ts) on the demo namespace, from outside the cluster's network.
import { AppsV1Api, type KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import winston from "winston";
import { KEYS } from "../src/annotations/keys.js";
import { systemClock } from "../src/clock.js";
import { WatchSet } from "../src/k8s/watch-set.js";

/** Watches the opted-in Deployments of a namespace; calls `onChange` for each add or update. */
export async function watchDeployments(
  kc: KubeConfig,
  namespace: string,
  onChange: (d: V1Deployment) => void,
): Promise<{ stop(): void }> {
  const apps = kc.makeApiClient(AppsV1Api);
  const selector = `${KEYS.enabled.key}=true`;
  const set = new WatchSet<V1Deployment>({
    kc,
    resource: "deployments",
    path: (ns) => `/apis/apps/v1/namespaces/${ns ?? namespace}/deployments`,
    list: (ns, page) =>
      apps.listNamespacedDeployment({ namespace: ns ?? namespace, labelSelector: selector, ...page }),
    labelSelector: selector,
    namespaces: [namespace],
    // Its reconnects are not the demo's news: the view shows what the Deployments say.
    logger: winston.createLogger({ silent: true }),
    clock: systemClock,
  });
  set.onChange((type, d) => {
    if (type !== "delete") onChange(d);
  });
  await set.start();
  return { stop: () => set.stop() };
}
