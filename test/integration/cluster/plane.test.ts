import {
  clients,
  createApp,
  kubeFetch,
  freshNamespace,
  waitFor,
  waitForDeployment,
  testKubeConfig,
} from "../helpers/kube.js";
import type { V1EndpointSlice, V1Pod } from "@kubernetes/client-node";

const ready = (s: V1EndpointSlice): number =>
  (s.endpoints ?? []).filter((e) => e.conditions?.ready === true).length;

describe("the local control plane is a real Kubernetes", () => {
  let ns: string;
  beforeAll(async () => {
    ns = await freshNamespace("plane");
  });

  it("reports the pinned Kubernetes version", async () => {
    const { kc } = clients();
    const cluster = kc.getCurrentCluster();
    const res = await kubeFetch(kc, `${cluster?.server}/version`);
    const v = (await res.json()) as { gitVersion: string };
    expect(v.gitVersion).toMatch(/^v1\.35\.\d+$/);
  });

  it("runs a Deployment to Ready, scales it to 0 and back through the scale subresource", async () => {
    const { apps, kc } = clients();
    await createApp(ns, "web", { replicas: 2 });
    const slicePath = `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`;
    const bySvc = { labelSelector: "kubernetes.io/service-name=web" };

    const dep = await waitForDeployment(ns, "web", (d) => d.status?.readyReplicas === 2, 30_000);
    expect(dep.status?.readyReplicas).toBe(2);
    await waitFor<V1EndpointSlice>(kc, slicePath, (s) => ready(s) === 2, 30_000, bySvc);

    await apps.replaceNamespacedDeploymentScale({
      name: "web",
      namespace: ns,
      body: { metadata: { name: "web", namespace: ns }, spec: { replicas: 0 } },
    });
    await waitFor<V1EndpointSlice>(kc, slicePath, (s) => ready(s) === 0, 30_000, bySvc);
    await waitForDeployment(ns, "web", (d) => (d.status?.replicas ?? 0) === 0, 30_000);
    const pods = await clients().core.listNamespacedPod({ namespace: ns, labelSelector: "app=web" });
    expect(pods.items.filter((p: V1Pod) => !p.metadata?.deletionTimestamp)).toHaveLength(0);

    await apps.replaceNamespacedDeploymentScale({
      name: "web",
      namespace: ns,
      body: { metadata: { name: "web", namespace: ns }, spec: { replicas: 1 } },
    });
    const back = await waitFor<V1EndpointSlice>(
      testKubeConfig(),
      slicePath,
      (s) => ready(s) === 1,
      30_000,
      bySvc,
    );
    expect(ready(back)).toBe(1);
  });
});
