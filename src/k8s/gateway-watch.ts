import {
  ApisApi,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import type { Logger } from "winston";
import type { Clock, Timers } from "../clock.js";
import type { Gateway, HTTPRoute } from "../wake/gateway-hosts.js";
import { makeClient } from "./clients.js";
import { WatchSet } from "./watch-set.js";

const GROUP = "gateway.networking.k8s.io";
const VERSION = "v1";

/** What the other WatchSets of the runtime share. */
export interface WatchCommon {
  kc: KubeConfig;
  namespaces: readonly string[];
  logger: Logger;
  clock: Clock & Timers;
  watchTimeoutMs: number;
}

/**
 * Informers for Gateway API HTTPRoutes and Gateways when the cluster serves gateway.networking.k8s.io/v1
 * (checked through discovery, which every authenticated client may read); undefined when it does not,
 * so a cluster without the Gateway API CRDs never shows an unhealthy informer.
 */
export async function gatewayWatches(
  common: WatchCommon,
  apiTimeoutMs: number,
): Promise<{ routes: WatchSet<HTTPRoute>; gateways: WatchSet<Gateway> } | undefined> {
  const log = common.logger;
  try {
    const groups = await makeClient(common.kc, ApisApi, apiTimeoutMs).getAPIVersions();
    const served = groups.groups.some(
      (g) => g.name === GROUP && g.versions.some((v) => v.version === VERSION),
    );
    if (!served) {
      log.info("the Gateway API is not served; HTTPRoute hosts are not read", { group: GROUP });
      return undefined;
    }
  } catch (err) {
    log.warn("cannot read API discovery; HTTPRoute hosts are not read", { reason: (err as Error).message });
    return undefined;
  }
  const custom = makeClient(common.kc, CustomObjectsApi, apiTimeoutMs);
  // Reading routes is optional: without the RBAC for it (an older install), say so once instead of
  // reporting a failing informer on /readyz.
  try {
    const namespace = common.namespaces[0];
    const probe = { group: GROUP, version: VERSION, plural: "httproutes", limit: 1 };
    await (namespace
      ? custom.listNamespacedCustomObject({ ...probe, namespace })
      : custom.listClusterCustomObject(probe));
  } catch (err) {
    log.warn(
      "cannot list HTTPRoutes; their hosts are not read (grant list/watch on httproutes and gateways)",
      {
        reason: (err as Error).message.slice(0, 300),
      },
    );
    return undefined;
  }
  const make = <T extends KubernetesObject>(plural: string): WatchSet<T> =>
    new WatchSet<T>({
      ...common,
      resource: plural,
      path: (n) =>
        n ? `/apis/${GROUP}/${VERSION}/namespaces/${n}/${plural}` : `/apis/${GROUP}/${VERSION}/${plural}`,
      list: async (n, page) =>
        (n
          ? await custom.listNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              namespace: n,
              plural,
              ...page,
            })
          : await custom.listClusterCustomObject({
              group: GROUP,
              version: VERSION,
              plural,
              ...page,
            })) as KubernetesListObject<T>,
      transform: (o) => {
        if (o.metadata) delete o.metadata.managedFields;
        return o;
      },
    });
  return { routes: make<HTTPRoute>("httproutes"), gateways: make<Gateway>("gateways") };
}
