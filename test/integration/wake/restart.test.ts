import { ReplicaRecorder } from "../helpers/replica-changes.js";
import { clients, createApp, freshNamespace, httpGet, waitForDeployment } from "../helpers/kube.js";
import { KubenapProcess, wakePortOf } from "../helpers/process.js";
import { freePort } from "../../cluster/ports.js";

describe("wake handlers as processes", () => {
  const procs: KubenapProcess[] = [];
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
  });

  const start = async (ns: string): Promise<{ p: KubenapProcess; port: number }> => {
    const p = new KubenapProcess([
      "--kubeconfig",
      process.env.KUBENAP_TEST_KUBECONFIG ?? "",
      "--namespaces",
      ns,
      "--leader-election",
      "false",
      "--wake-port",
      String(await freePort()),
      "--wake-address",
      "127.0.0.1",
      "--hold-limit",
      "15s",
      "--settle-delay",
      "100ms",
      "--sweep-interval",
      "1h",
      "--metrics-source",
      "test",
    ]);
    procs.push(p);
    return { p, port: await wakePortOf(p) };
  };

  it("completes the wake on the next request after a restart", async () => {
    const ns = await freshNamespace("restart-wake");
    await createApp(ns, "web", {
      replicas: 0,
      labels: { "kubenap/enabled": "true" },
      // asleep as KubeNap (or the README's manual command) leaves it
      annotations: { "kubenap/replicaCount": "2", "kubenap/state": "asleep" },
      podAnnotations: { "pod-ready.stage.kwok.x-k8s.io/delay": "3s" },
    });
    const replicas = await ReplicaRecorder.start(ns, "web");
    const first = await start(ns);
    const pending = httpGet(first.port, `/wake/${ns}/web`).then(
      (r) => `answered ${r.status}`,
      (e: Error) => e.message,
    );
    // Mid-wake: the scale-up is written, the pods are not ready yet.
    await waitForDeployment(ns, "web", (d) => d.spec?.replicas === 2, 10_000);
    await first.p.kill("SIGKILL");
    // The held request dies with the process (the ingress would answer it with its own error).
    expect(await pending).toMatch(/socket hang up|ECONNRESET/);

    const second = await start(ns);
    const res = await httpGet(second.port, `/wake/${ns}/web`, {
      Host: "app.example",
      "X-Original-URI": "/after",
    });
    expect(res.status).toBe(307);
    expect(res.headers.location).toBe("/after");
    const dep = await clients().apps.readNamespacedDeployment({ name: "web", namespace: ns });
    expect(dep.spec?.replicas).toBe(2);
    replicas.stop();
    expect(replicas.values).toEqual([0, 2]);
    expect(dep.status?.readyReplicas ?? 0).toBeGreaterThanOrEqual(1);
  });

  it("two KubeNap replicas waking the same app at once make exactly one scale-up", async () => {
    const ns = await freshNamespace("two-wakers");
    await createApp(ns, "web", {
      replicas: 0,
      labels: { "kubenap/enabled": "true" },
      annotations: { "kubenap/replicaCount": "2" },
      podAnnotations: { "pod-ready.stage.kwok.x-k8s.io/delay": "1s" },
    });
    const replicas = await ReplicaRecorder.start(ns, "web");
    const [a, b] = await Promise.all([start(ns), start(ns)]);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        httpGet((i % 2 ? a : b).port, `/wake/${ns}/web`).then((r) => r.status),
      ),
    );
    expect(answers.filter((s) => s === 307)).toHaveLength(100);
    const dep = await clients().apps.readNamespacedDeployment({ name: "web", namespace: ns });
    expect(dep.spec?.replicas).toBe(2);
    await replicas.until((d) => d.metadata?.annotations?.["kubenap/state"] === "awake");
    replicas.stop();
    expect(replicas.changes).toBe(1);
  });
});
