// Apps for journeys: an opted-in Deployment (asleep at first), its Service and an Ingress naming its
// host, and a way to put it back to sleep the way KubeNap's monitor does, without waiting idleAfter.
import { KEYS } from "../../../src/annotations/keys.js";
import {
  clients,
  createApp,
  createIngress,
  waitFor,
  testKubeConfig,
  sleepAsMonitor,
} from "../../integration/helpers/kube.js";
import type { V1Pod } from "@kubernetes/client-node";
import { KUBENAP_HOST_IP } from "../../cluster/netns.js";
import { WAKE_PORT } from "../world.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { artifacts, runInNetns, world } from "./world.js";

/** Pod annotation read by the pod agent: the app answers 503 this long after it starts. */
export const FAIL_FOR = "pod-app.kubenap.test/fail-for";
/** Pod annotation read by the pod agent: the app listens (and the pod turns Ready) only after this long. */
export const START_AFTER = "pod-app.kubenap.test/start-after";

/**
 * Creates an asleep app `name` (Deployment, Service port 80). With `ingress`, KubeNap knows it by an
 * Ingress of that name: "create" makes a class-less one for `host`, "annotate" only names the Ingress
 * the journey applies itself; without, it has no Ingress (IngressRoute, HTTPRoute, Envoy).
 */
export async function createSleepingApp(
  namespace: string,
  name: string,
  host: string,
  opts: {
    failFor?: string;
    startAfter?: string;
    ingress?: "create" | "annotate";
    awake?: boolean;
    idleAfter?: string;
  } = {},
): Promise<void> {
  await createApp(namespace, name, {
    replicas: opts.awake ? 1 : 0,
    labels: { [KEYS.enabled.key]: "true" },
    annotations: {
      ...(opts.ingress && { [KEYS.ingress.key]: name }),
      ...(opts.idleAfter && { [KEYS.idleAfter.key]: opts.idleAfter }),
      ...(!opts.awake && { [KEYS.replicaCount.key]: "1", [KEYS.state.key]: "asleep" }),
    },
    podAnnotations: {
      ...(opts.failFor && { [FAIL_FOR]: opts.failFor }),
      ...(opts.startAfter && { [START_AFTER]: opts.startAfter }),
    },
  });
  if (opts.ingress === "create") await createIngress(namespace, name, host, name);
}

/** Applies manifests (server-side) with kubectl inside the namespace. */
export async function kubectlApply(label: string, yaml: string): Promise<void> {
  const file = join(artifacts("manifests"), `${label}.yaml`);
  writeFileSync(file, yaml);
  const w = world();
  await runInNetns([
    join(w.bin, "kubectl"),
    "--kubeconfig",
    w.innerKubeconfig,
    "apply",
    "--server-side",
    "--force-conflicts",
    "-f",
    file,
  ]);
}

/** The ClusterIP of a Service. */
export async function clusterIp(namespace: string, name: string): Promise<string> {
  const svc = await clients().core.readNamespacedService({ namespace, name });
  const ip = svc.spec?.clusterIP;
  if (!ip) throw new Error(`service ${namespace}/${name} has no ClusterIP`);
  return ip;
}

/** KubeNap's view of an app (GET /status/ns/name on the wake handler). */
export async function kubenapState(namespace: string, name: string): Promise<string> {
  const out = await runInNetns([
    "curl",
    "-sS",
    "--max-time",
    "5",
    `http://${KUBENAP_HOST_IP}:${WAKE_PORT}/status/${namespace}/${name}`,
  ]);
  return (JSON.parse(out) as { state?: string }).state ?? "";
}

/** Waits until KubeNap reports the state (bounded). */
export async function waitKubenapState(
  namespace: string,
  name: string,
  state: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last = await kubenapState(namespace, name).catch((e: unknown) => String(e));
    if (last === state) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `KubeNap did not report ${namespace}/${name} ${state} within ${timeoutMs} ms (last: ${last})`,
  );
}

/**
 * Puts the app to sleep as the monitor would (replicas 0 and the state annotations in one update), then
 * waits until its pods are gone and KubeNap sees it asleep.
 */
export async function putToSleep(namespace: string, name: string): Promise<void> {
  // A wake in flight would keep KubeNap's view at "waking" until its timeout: let it finish first.
  if ((await kubenapState(namespace, name)) === "waking")
    await waitKubenapState(namespace, name, "ready", 60_000);
  await sleepAsMonitor(namespace, name);
  await waitNoPods(namespace, name);
  await waitKubenapState(namespace, name, "asleep");
  await waitRefused(namespace, name);
}

/**
 * Waits until kube-proxy refuses the app's ClusterIP. Until it has caught up (about a second), its rules
 * still point at the pod that is gone at once here (real pods linger while they terminate), and a SYN
 * sent there is lost: the next request would pay a 1 s TCP retransmission that is not KubeNap's.
 */
export async function waitRefused(namespace: string, name: string, timeoutMs = 15_000): Promise<void> {
  const ip = await clusterIp(namespace, name);
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last = await runInNetns(["curl", "-sS", "-o", "/dev/null", "--max-time", "0.3", `http://${ip}/`]).then(
      () => "answered",
      (err: unknown) => String(err),
    );
    // curl exit 7: connection refused, kube-proxy's answer for a Service without endpoints.
    if (/exit code 7\b|Couldn't connect|Connection refused/i.test(last)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${namespace}/${name}'s ClusterIP is not refused after ${timeoutMs} ms: ${last.slice(0, 300)}`,
  );
}

/** Waits until the app has no pods left (the pod agent removed their netns and process). */
export async function waitNoPods(namespace: string, app: string, timeoutMs = 60_000): Promise<void> {
  const { core } = clients();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
    if (pods.items.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`pods of ${namespace}/${app} still there after ${timeoutMs} ms`);
}

/** Waits for a Ready pod of the app (used by tests that need it awake first). */
export function waitReadyPod(namespace: string, app: string, timeoutMs = 60_000): Promise<V1Pod> {
  return waitFor<V1Pod>(
    testKubeConfig(),
    `/api/v1/namespaces/${namespace}/pods`,
    (p) =>
      p.metadata?.labels?.app === app &&
      !p.metadata?.deletionTimestamp &&
      (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
    timeoutMs,
  );
}
