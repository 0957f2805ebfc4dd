// Putting an app back to sleep between wakes on a kwok plane, the way KubeNap's monitor does it
// (replicas 0 and the state annotations in one update), and waiting until it is really asleep.
import { clients, httpGet, sleepAsMonitor } from "../../test/integration/helpers/kube.js";

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
  const { core } = clients();
  await sleepAsMonitor(namespace, name);
  await until(`${namespace}/${name} has no pods`, async () => {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${name}` });
    return pods.items.length === 0;
  });
  await until(`KubeNap sees ${namespace}/${name} asleep`, async () => {
    const r = await httpGet(kubenapPort, `/status/${namespace}/${name}`);
    return r.status === 200 && (JSON.parse(r.body) as { state?: string }).state === "asleep";
  });
}
