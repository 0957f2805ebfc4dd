import type { AutoscalingV2Api } from "@kubernetes/client-node";

/** Finds Deployments that a HorizontalPodAutoscaler targets. */
export interface HpaLookup {
  /** `namespace/name` of every targeted Deployment; throws when it cannot tell. */
  deploymentTargets(): Promise<Set<string>>;
}

/** One list call per sweep, cluster-wide or per configured namespace. */
export class ApiHpaLookup implements HpaLookup {
  constructor(
    private readonly api: AutoscalingV2Api,
    private readonly namespaces: readonly string[],
  ) {}

  async deploymentTargets(): Promise<Set<string>> {
    const lists =
      this.namespaces.length === 0
        ? [await this.api.listHorizontalPodAutoscalerForAllNamespaces()]
        : await Promise.all(
            this.namespaces.map((namespace) => this.api.listNamespacedHorizontalPodAutoscaler({ namespace })),
          );
    const out = new Set<string>();
    for (const hpa of lists.flatMap((l) => l.items)) {
      const ref = hpa.spec?.scaleTargetRef;
      if (ref?.kind === "Deployment") out.add(`${hpa.metadata?.namespace}/${ref.name}`);
    }
    return out;
  }
}
