import { waitForDeployment } from "../../helpers/kube.js";

/**
 * Sends traffic (calls send now and every 400 ms) until the Deployments are ready, so that none can
 * be idle before the test's own "last request", however slowly the plane makes pods ready.
 */
export async function trafficUntilReady(namespace: string, names: string[], send: () => void): Promise<void> {
  send();
  const timer = setInterval(send, 400);
  try {
    // Generous: on a shared machine the plane may take a while to make pods ready.
    for (const n of names)
      await waitForDeployment(namespace, n, (d) => d.status?.readyReplicas === 1, 90_000);
  } finally {
    clearInterval(timer);
  }
}
