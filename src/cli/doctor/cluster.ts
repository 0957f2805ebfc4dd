// What the app checks read from the cluster, in one pass per namespace; optional CRDs (Traefik, Gateway
// API) that are not installed read as empty lists.
import {
  AppsV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1Ingress,
  type V1Service,
  type V2HorizontalPodAutoscaler,
} from "@kubernetes/client-node";
import { KEYS } from "../../annotations/keys.js";
import { apiError, client } from "../kube.js";

/** A custom object, read loosely (its spec is checked field by field). */
export interface Custom {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/** One namespace's objects the checks need. */
export interface NamespaceObjects {
  services: V1Service[];
  ingresses: V1Ingress[];
  hpas: V2HorizontalPodAutoscaler[];
  ingressRoutes: Custom[];
  httpRoutes: Custom[];
  middlewares: Custom[];
}

/** The opted-in Deployments in the namespaces (all when empty). */
export async function optedIn(kc: KubeConfig, namespaces: string[]): Promise<V1Deployment[]> {
  const apps = client(kc, AppsV1Api);
  const labelSelector = `${KEYS.enabled.key}=true`;
  try {
    if (namespaces.length === 0) return (await apps.listDeploymentForAllNamespaces({ labelSelector })).items;
    const lists = await Promise.all(
      namespaces.map((namespace) => apps.listNamespacedDeployment({ namespace, labelSelector })),
    );
    return lists.flatMap((l) => l.items);
  } catch (err) {
    throw apiError(err, kc, "list the opted-in deployments");
  }
}

async function customs(
  kc: KubeConfig,
  group: string,
  version: string,
  plural: string,
  namespace: string,
): Promise<Custom[]> {
  try {
    const r = (await client(kc, CustomObjectsApi).listNamespacedCustomObject({
      group,
      version,
      namespace,
      plural,
    })) as {
      items?: Custom[];
    };
    return r.items ?? [];
  } catch (err) {
    if ((err as { code?: number }).code === 404) return []; // the CRD is not installed
    throw apiError(err, kc, `list ${plural}.${group} in ${namespace}`);
  }
}

/** Reads one namespace's Services, Ingresses, HPAs, IngressRoutes, HTTPRoutes and Middlewares. */
export async function readNamespace(kc: KubeConfig, namespace: string): Promise<NamespaceObjects> {
  const wrap = <T>(what: string, p: Promise<T>): Promise<T> =>
    p.catch((err: unknown) => {
      throw apiError(err, kc, `list ${what} in ${namespace}`);
    });
  const [services, ingresses, hpas, ingressRoutes, httpRoutes, middlewares] = await Promise.all([
    wrap("services", client(kc, CoreV1Api).listNamespacedService({ namespace })).then((l) => l.items),
    wrap("ingresses", client(kc, NetworkingV1Api).listNamespacedIngress({ namespace })).then((l) => l.items),
    wrap(
      "horizontalpodautoscalers",
      client(kc, AutoscalingV2Api).listNamespacedHorizontalPodAutoscaler({ namespace }),
    ).then((l) => l.items),
    customs(kc, "traefik.io", "v1alpha1", "ingressroutes", namespace),
    customs(kc, "gateway.networking.k8s.io", "v1", "httproutes", namespace),
    customs(kc, "traefik.io", "v1alpha1", "middlewares", namespace),
  ]);
  return { services, ingresses, hpas, ingressRoutes, httpRoutes, middlewares };
}

/** Traefik Deployments anywhere (by container image), or undefined when they cannot be listed. */
export async function traefikDeployments(kc: KubeConfig): Promise<V1Deployment[] | undefined> {
  try {
    const all = await client(kc, AppsV1Api).listDeploymentForAllNamespaces({});
    return all.items.filter((d) =>
      (d.spec?.template?.spec?.containers ?? []).some((c) => /(^|\/)traefik(:|@|$)/.test(c.image ?? "")),
    );
  } catch {
    return undefined;
  }
}
