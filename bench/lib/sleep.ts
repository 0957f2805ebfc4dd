// Putting an app back to sleep between wakes on a kwok plane, the way KubeNap's monitor does it
// (replicas 0 and the state annotations in one update), and waiting until it is really asleep.
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { KEYS } from "../../src/annotations/keys.js";
import { clients, httpGet } from "../../test/integration/helpers/kube.js";

/** Polls check (every 50 ms) until it is true; throws after timeoutMs with the label. */
export async function until(label: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${label}: not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Scales the app to 0 as the monitor does; resolves when its pods are gone and KubeNap says asleep. */
export async function sleepApp(namespace: string, name: string, kubenapPort: number): Promise<void> {
  const { apps, core } = clients();
  await apps.patchNamespacedDeployment(
    {
      namespace,
      name,
      body: {
        metadata: {
          annotations: {
            [KEYS.state.key]: "asleep",
            [KEYS.sleptAt.key]: new Date().toISOString(),
            [KEYS.replicaCount.key]: "1",
          },
        },
        spec: { replicas: 0 },
      },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
  await until(`${namespace}/${name} has no pods`, async () => {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${name}` });
    return pods.items.length === 0;
  });
  await until(`KubeNap sees ${namespace}/${name} asleep`, async () => {
    const r = await httpGet(kubenapPort, `/status/${namespace}/${name}`);
    return r.status === 200 && (JSON.parse(r.body) as { state?: string }).state === "asleep";
  });
}
