// A watch that KubeNap may no longer make (RBAC revoked) turns /readyz red within the bound, and
// green again once the permission is back, without a restart.
import { RbacAuthorizationV1Api, type V1PolicyRule } from "@kubernetes/client-node";
import { freePort } from "../../cluster/ports.js";
import { freshNamespace, httpGet, testKubeConfig } from "../helpers/kube.js";
import { KubenapProcess } from "../helpers/process.js";
import { serviceAccountKubeconfig } from "../helpers/service-account.js";

const rules = (withSlices: boolean): V1PolicyRule[] => [
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "patch"] },
  { apiGroups: [""], resources: ["services"], verbs: ["list", "watch"] },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ["list", "watch"] },
  ...(withSlices
    ? [{ apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] }]
    : []),
  { apiGroups: [""], resources: ["events"], verbs: ["create"] },
  { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
  { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ["list"] },
];

async function readyz(port: number): Promise<{ status: number; body: string }> {
  const r = await httpGet(port, "/readyz");
  return { status: r.status, body: r.body };
}

/** Polls /readyz (what a kubelet does) until it answers `status`; resolves with the answer, or the last one. */
async function readyzBecomes(
  port: number,
  status: number,
  ms: number,
): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + ms;
  let last = await readyz(port);
  while (last.status !== status && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    last = await readyz(port);
  }
  return last;
}

describe("informer health", () => {
  let p: KubenapProcess | undefined;
  afterEach(async () => {
    await p?.kill();
  });

  it("fails /readyz while the EndpointSlice watch is forbidden, and recovers without a restart", async () => {
    const ns = await freshNamespace("health");
    const rbac = testKubeConfig().makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: { metadata: { name: "kubenap" }, rules: rules(true) },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: "kubenap" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "kubenap" },
        subjects: [{ kind: "ServiceAccount", name: "kubenap", namespace: ns }],
      },
    });
    const kubeconfig = await serviceAccountKubeconfig(ns);
    const port = await freePort();
    p = new KubenapProcess([
      "--kubeconfig",
      kubeconfig,
      "--namespaces",
      ns,
      "--metrics-source",
      "test",
      "--wake-port",
      String(port),
      "--wake-address",
      "127.0.0.1",
      "--watch-timeout",
      "1s",
      "--unhealthy-after",
      "2s",
    ]);
    await p.waitLog((l) => l.message === "informers synced");
    expect((await readyz(port)).status).toBe(200);

    const revokedAt = Date.now();
    await rbac.replaceNamespacedRole({
      name: "kubenap",
      namespace: ns,
      body: { metadata: { name: "kubenap" }, rules: rules(false) },
    });
    // Bound: one watch timeout (1–2 s) + its silence margin (1 s) + --unhealthy-after (2 s) + backoff.
    const red = await readyzBecomes(port, 503, 15_000);
    expect(red.status).toBe(503);
    expect(red.body).toContain("endpointslices");
    expect(Date.now() - revokedAt).toBeLessThan(15_000);
    const metrics = await httpGet(port, "/metrics");
    expect(metrics.body).toContain('kubenap_informer_healthy{resource="endpointslices"} 0');

    await rbac.replaceNamespacedRole({
      name: "kubenap",
      namespace: ns,
      body: { metadata: { name: "kubenap" }, rules: rules(true) },
    });
    const green = await readyzBecomes(port, 200, 40_000);
    expect(green.status).toBe(200);
  });
});
