import { connect } from "node:net";
import type { V1EndpointSlice } from "@kubernetes/client-node";
import type { Runtime } from "../../../src/main.js";
import {
  clients,
  createApp,
  createIngress,
  ENABLED,
  freshNamespace,
  httpGet,
  readyEndpoints,
  testKubeConfig,
  waitFor,
  waitForDeployment,
  waitForEvent,
} from "../helpers/kube.js";
import { ReplicaRecorder } from "../helpers/replica-changes.js";
import { startKubenap } from "../helpers/runtime.js";
import { ManualSource } from "../helpers/sources.js";

const HOST = "app.example";

describe("the wake handler on a real control plane", () => {
  let ns: string;
  let kubenap: Runtime | undefined;
  const get = (path: string, headers: Record<string, string> = {}) =>
    httpGet(kubenap?.wakePort ?? 0, path, headers);
  const json = <T>(body: string): T => JSON.parse(body) as T;
  const ingressHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
    Host: HOST,
    "X-Namespace": ns,
    "X-Service-Name": "web",
    "X-Ingress-Name": "web",
    "X-Original-URI": "/orders?id=7",
    "X-Code": "503",
    ...extra,
  });
  const start = async (flags: string[] = []): Promise<void> => {
    kubenap = await startKubenap(ns, new ManualSource(), [
      "--settle-delay",
      "100ms",
      "--hold-limit",
      "10s",
      ...flags,
    ]);
  };

  beforeEach(async () => {
    ns = await freshNamespace("wake");
  });
  afterEach(async () => {
    await kubenap?.stop();
    kubenap = undefined;
  });

  async function sleepingApp(name = "web", podAnnotations: Record<string, string> = {}): Promise<number> {
    const dep = await createApp(ns, name, {
      replicas: 0,
      labels: ENABLED,
      annotations: { "kubenap/replicaCount": "2", "kubenap/state": "asleep", "kubenap/ingress": name },
      podAnnotations,
    });
    await createIngress(ns, name, HOST, name);
    return dep.metadata?.generation ?? 0;
  }

  it("wakes a sleeping app with one scale-up to its replicaCount and answers 307 to the original URL once ready", async () => {
    await sleepingApp();
    await start();
    const replicas = await ReplicaRecorder.start(ns, "web");
    const res = await get("/wake", ingressHeaders());
    expect(res.status).toBe(307);
    expect(res.headers.location).toBe(`http://${HOST}/orders?id=7`);
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(await readyEndpoints(ns, "web")).toBeGreaterThanOrEqual(1);
    const { apps } = clients();
    const dep = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
    expect(dep.spec?.replicas).toBe(2);
    // replicas first, then the wake is recorded in the annotations
    await replicas.until((d) => d.metadata?.annotations?.["kubenap/state"] === "awake");
    replicas.stop();
    expect(replicas.values).toEqual([0, 2]);
    const after = await apps.readNamespacedDeployment({ name: "web", namespace: ns });
    expect(after.metadata?.annotations?.["kubenap/state"]).toBe("awake");
    expect(
      Date.now() - new Date(after.metadata?.annotations?.["kubenap/wokeAt"] ?? 0).getTime(),
    ).toBeLessThan(30_000);
    const ev = await waitForEvent(ns, "web", "Woken");
    expect(ev.message).toContain("0 → 2");
  });

  it("shares one wake among 500 concurrent requests: spec.replicas changes exactly once", async () => {
    // The pods take 2 s to become ready, so all 500 requests are held at once.
    await sleepingApp("web", { "pod-ready.stage.kwok.x-k8s.io/delay": "2s" });
    await start();
    const replicas = await ReplicaRecorder.start(ns, "web");
    const results = await Promise.all(
      Array.from({ length: 500 }, () =>
        get("/wake", ingressHeaders()).then((r) => ({ status: r.status, location: r.headers.location })),
      ),
    );
    const counts = results.reduce<Record<number, number>>(
      (m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }),
      {},
    );
    expect(counts[307]).toBe(500);
    expect(new Set(results.map((r) => r.location))).toEqual(new Set([`http://${HOST}/orders?id=7`]));
    await replicas.until((d) => d.metadata?.annotations?.["kubenap/state"] === "awake");
    replicas.stop();
    expect(replicas.changes).toBe(1);
    expect(replicas.values).toEqual([0, 2]);
    const metrics = (await get("/metrics")).body;
    expect(metrics).toMatch(/kubenap_wakes_total\{result="ready"\} 1\n/);
  });

  it("answers 502 without a redirect when the app is awake and ready (the error is the app's)", async () => {
    await createApp(ns, "web", { replicas: 1, labels: ENABLED });
    // What the loop guard reads: a ready endpoint in the Service's EndpointSlices (not readyReplicas).
    await waitFor<V1EndpointSlice>(
      testKubeConfig(),
      `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`,
      (s) =>
        s.metadata?.labels?.["kubernetes.io/service-name"] === "web" &&
        (s.endpoints ?? []).some((e) => e.conditions?.ready === true),
      30_000,
    );
    await start();
    const res = await get("/wake", ingressHeaders());
    expect(res.status).toBe(502);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(json<{ detail: string }>(res.body).detail).toMatch(/came from the app itself/);
  });

  it("answers 404 for an unknown host or a Deployment that did not opt in", async () => {
    await createApp(ns, "plain", { replicas: 0 });
    await sleepingApp();
    await start();
    const unknownHost = await get("/wake", { Host: "unknown.example", "X-Original-URI": "/" });
    expect(unknownHost.status).toBe(404);
    expect(json<{ detail: string }>(unknownHost.body).detail).toContain("unknown.example");
    const notOptedIn = await get(`/wake/${ns}/plain`);
    expect(notOptedIn.status).toBe(404);
    expect(json<{ detail: string }>(notOptedIn.body).detail).toMatch(/not opted in/);
    const bySvc = await get("/wake", {
      ...ingressHeaders(),
      "X-Service-Name": "plain",
      "X-Ingress-Name": "none",
      Host: "other.example",
    });
    expect(bySvc.status).toBe(404);
    const scale = await clients().apps.readNamespacedDeployment({ name: "plain", namespace: ns });
    expect(scale.spec?.replicas).toBe(0);
  });

  it("never redirects off the target's host, and rejects malformed input with 400", async () => {
    await sleepingApp();
    await start();
    const evilHost = await get("/wake", ingressHeaders({ Host: "evil.example" }));
    expect(evilHost.status).toBe(400);
    expect(evilHost.headers.location).toBeUndefined();

    const originalUrl = await get("/wake", ingressHeaders({ "X-Original-URL": "https://evil.example/" }));
    expect(originalUrl.status).toBe(307);
    expect(new URL(String(originalUrl.headers.location)).host).toBe(HOST);

    for (const path of [
      "//evil.example/x",
      "/\\evil.example",
      "https://evil.example/",
      "/" + "a".repeat(9000),
    ]) {
      const res = await get("/wake", ingressHeaders({ "X-Original-URI": path }));
      expect(res.status).toBe(400);
      expect(res.headers.location).toBeUndefined();
    }
    const encoded = await get("/wake", ingressHeaders({ "X-Original-URI": "/a%0d%0aSet-Cookie:%20x=1" }));
    expect(encoded.status).toBe(307);
    // Only KubeNap's own redirect-count cookie: the encoded CR/LF injected no header.
    expect(encoded.headers["set-cookie"]).toEqual([expect.stringMatching(/^kubenap_r_[0-9a-f]{12}=\d+;/)]);
    expect(new URL(String(encoded.headers.location)).host).toBe(HOST);

    // A raw CR inside the request line never reaches the handler: the HTTP parser answers 400.
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = connect(kubenap?.wakePort ?? 0, "127.0.0.1", () => {
        sock.write(`GET /wake/${ns}/web?x=\rLocation:evil HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
      });
      let data = "";
      sock.on("data", (d) => (data += d.toString()));
      sock.on("end", () => resolve(data));
      sock.on("error", reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect(raw).not.toMatch(/location:/i);
  });

  it("reports readiness at /status and answers the waiting page's poll without holding it", async () => {
    await sleepingApp("web", { "pod-ready.stage.kwok.x-k8s.io/delay": "3s" });
    await start();
    const asleep = json<{ state: string }>((await get(`/status/${ns}/web`)).body);
    expect(asleep.state).toBe("asleep");
    const poll = await get("/wake", ingressHeaders({ "X-KubeNap-Poll": "1" }));
    expect(poll.status).toBe(503);
    expect(poll.headers["x-kubenap-state"]).toBe("waking");
    const waking = json<{ state: string }>((await get(`/status/${ns}/web`)).body);
    expect(waking.state).toBe("waking");
    await waitForDeployment(ns, "web", (d) => d.status?.readyReplicas === 2, 15_000);
    const ready = await get("/wake", ingressHeaders());
    expect(ready.status).toBe(307);
  });

  it("answers 503 with Retry-After past the hold limit, then 504 and a WakeTimeout event past wakeTimeout", async () => {
    const dep = await createApp(ns, "slow", {
      replicas: 0,
      labels: ENABLED,
      annotations: { "kubenap/wakeTimeout": "3s" },
      podAnnotations: { "pod-ready.stage.kwok.x-k8s.io/delay": "60s" },
    });
    void dep;
    await start(["--hold-limit", "1s", "--retry-after", "2"]);
    const headers = { "X-Namespace": ns, "X-Service-Name": "slow" };
    const held = await get("/wake", headers);
    expect(held.status).toBe(503);
    expect(held.headers["retry-after"]).toBe("2");
    const ev = await waitForEvent(ns, "slow", "WakeTimeout", 15_000);
    expect(ev.type).toBe("Warning");
    const late = await get("/wake", headers);
    expect(late.status).toBe(504);
  });
});
