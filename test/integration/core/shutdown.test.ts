// SIGTERM while wake requests are held: /readyz fails first, requests are still answered during the
// drain, held ones end with 503 + Retry-After (never a reset connection), and the process exits.
import { freePort } from "../../cluster/ports.js";
import { createApp, freshNamespace, httpGet, type HttpAnswer } from "../helpers/kube.js";
import { KubenapProcess } from "../helpers/process.js";

describe("graceful shutdown", () => {
  let p: KubenapProcess | undefined;
  afterEach(async () => {
    await p?.kill();
  });

  it("answers every held wake and exits within the bound after SIGTERM", async () => {
    const ns = await freshNamespace("shutdown");
    // Pods that take a minute to become ready: every wake request is held.
    await createApp(ns, "web", {
      replicas: 0,
      labels: { "kubenap/enabled": "true" },
      annotations: { "kubenap/replicaCount": "1", "kubenap/state": "asleep" },
      podAnnotations: { "pod-ready.stage.kwok.x-k8s.io/delay": "60s" },
    });
    const port = await freePort();
    p = new KubenapProcess([
      "--kubeconfig",
      process.env.KUBENAP_TEST_KUBECONFIG ?? "",
      "--namespaces",
      ns,
      "--lease-namespace",
      ns,
      "--metrics-source",
      "test",
      "--wake-port",
      String(port),
      "--wake-address",
      "127.0.0.1",
      "--hold-limit",
      "60s",
      "--shutdown-delay",
      "2s",
    ]);
    await p.waitLog((l) => l.message === "informers synced");
    const held: Promise<HttpAnswer | Error>[] = Array.from({ length: 5 }, () =>
      httpGet(port, `/wake/${ns}/web`, { Accept: "application/json" }).catch((e: Error) => e),
    );
    await p.waitLog((l) => l.message === "scaled up");

    const t0 = Date.now();
    const exited = p.exited.then(() => Date.now() - t0);
    p.child.kill("SIGTERM");
    await p.waitLog((l) => l.message === "draining: /readyz fails, requests are still served");
    const readyz = await httpGet(port, "/readyz");
    expect(readyz.status).toBe(503);
    expect(readyz.body).toContain("shutting down");
    // A request that arrives during the drain is still taken in (and answered, below).
    held.push(httpGet(port, `/wake/${ns}/web`, { Accept: "application/json" }).catch((e: Error) => e));

    const answers = await Promise.all(held);
    for (const a of answers) {
      expect(a).not.toBeInstanceOf(Error);
      if (a instanceof Error) continue;
      expect(a.status).toBe(503);
      expect(a.headers["retry-after"]).toBeDefined();
    }
    expect(await exited).toBeLessThan(10_000);
    expect(p.child.exitCode).toBe(0);
  });
});
