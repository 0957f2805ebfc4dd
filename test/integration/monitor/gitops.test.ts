import type { V1Deployment } from "@kubernetes/client-node";
import type { Runtime } from "../../../src/main.js";
import {
  createApp,
  freshNamespace,
  testKubeConfig,
  waitForDeployment,
  waitForEvent,
} from "../helpers/kube.js";
import { startKubenap } from "../helpers/runtime.js";
import { ManualSource } from "../helpers/sources.js";

const IDLE_MS = 4_000;

/** What Argo CD's self-heal does: server-side apply of the manifest's replicas as "argocd-controller". */
async function argoApply(ns: string, name: string): Promise<void> {
  const kc = testKubeConfig();
  const url = `${kc.getCurrentCluster()?.server}/apis/apps/v1/namespaces/${ns}/deployments/${name}?fieldManager=argocd-controller&force=true`;
  const init = await kc.applyToFetchOptions({});
  const { default: fetch } = await import("node-fetch");
  const res = await fetch(url, {
    ...(init as object),
    method: "PATCH",
    headers: { ...(init.headers as Record<string, string>), "Content-Type": "application/apply-patch+yaml" },
    body: JSON.stringify({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: ns },
      spec: { replicas: 1 },
    }),
  });
  if (!res.ok) throw new Error(`apply failed: ${res.status} ${await res.text()}`);
}

describe("an app whose replicas a GitOps tool re-applies", () => {
  let kubenap: Runtime | undefined;
  afterEach(async () => {
    await kubenap?.stop();
  });

  it("is slept at most once per idleAfter, recorded as woken, and gets a GitOpsConflict Warning", async () => {
    const ns = await freshNamespace("gitops");
    await createApp(ns, "web", {
      replicas: 1,
      labels: { "kubenap/enabled": "true" },
      annotations: { "kubenap/idleAfter": `${IDLE_MS}ms` },
    });
    await argoApply(ns, "web");
    kubenap = await startKubenap(ns, new ManualSource());
    const sleeps: number[] = [];
    const until = Date.now() + 3 * IDLE_MS + 2_000;
    while (Date.now() < until) {
      const asleep = await waitForDeployment(
        ns,
        "web",
        (d) => d.spec?.replicas === 0,
        Math.max(1, until - Date.now()),
      ).catch(() => undefined);
      if (!asleep) break;
      sleeps.push(Date.now());
      await argoApply(ns, "web"); // self-heal: back to replicas 1
      const healed: V1Deployment = await waitForDeployment(
        ns,
        "web",
        (d) => d.spec?.replicas === 1 && d.metadata?.annotations?.["kubenap/state"] === "awake",
        10_000,
      );
      expect(healed.metadata?.annotations?.["kubenap/wokeAt"]).toBeDefined();
    }
    expect(sleeps.length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < sleeps.length; i++) {
      expect((sleeps[i] ?? 0) - (sleeps[i - 1] ?? 0)).toBeGreaterThanOrEqual(IDLE_MS - 500);
    }
    const ev = await waitForEvent(ns, "web", "GitOpsConflict");
    expect(ev.type).toBe("Warning");
    expect(ev.message).toContain("argocd-controller");
  });
});
