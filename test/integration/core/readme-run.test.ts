// The README's run command, as a new user types it, against a fresh plane: no namespace flags.
import type { V1Lease } from "@kubernetes/client-node";
import { freePort } from "../../cluster/ports.js";
import { createApp, freshNamespace, testKubeConfig, waitFor, waitForEvent } from "../helpers/kube.js";
import { KubenapProcess } from "../helpers/process.js";

describe("npx kubenap run --kubeconfig <plane> --metrics-source none", () => {
  let p: KubenapProcess | undefined;
  afterEach(async () => {
    await p?.kill("SIGTERM");
  });

  it("leads through a Lease in the context's namespace and reports problems within one sweep", async () => {
    const ns = await freshNamespace("readme");
    await createApp(ns, "typo", {
      replicas: 1,
      labels: { "kubenap/enabled": "true" },
      annotations: { "kubenap/idleAfter": "soon" },
    });
    await createApp(ns, "fine", { replicas: 1, labels: { "kubenap/enabled": "true" } });
    p = new KubenapProcess(
      [
        "--kubeconfig",
        process.env.KUBENAP_TEST_KUBECONFIG ?? "",
        "--metrics-source",
        "none",
        "--wake-port",
        String(await freePort()),
      ],
      {},
      true,
    );
    // The kubeconfig's context names no namespace: the Lease lives in "default", which exists.
    await p.waitLog((l) => l.message === "became leader", 30_000);
    const lease = await waitFor<V1Lease>(
      testKubeConfig(),
      "/apis/coordination.k8s.io/v1/namespaces/default/leases",
      (l) => l.metadata?.name === "kubenap-monitor",
      10_000,
    );
    expect(lease.spec?.holderIdentity).toBeTruthy();
    const invalid = await waitForEvent(ns, "typo", "InvalidAnnotation");
    expect(invalid.message).toContain('kubenap/idleAfter="soon"');
    expect(invalid.involvedObject?.uid).toBeTruthy();
    // With the `none` source nothing can be known to be idle: said on the app, and nothing sleeps.
    const unknown = await waitForEvent(ns, "fine", "MetricsSourceError");
    expect(unknown.message).toContain("no metrics source is configured");
    const leaseProblems = p.lines.filter((l) => String(l.message).includes("lease"));
    expect(leaseProblems.filter((l) => l.level === "warn" || l.level === "error")).toEqual([]);
  });
});
