import { NetworkingV1Api, type V1IngressSpec } from "@kubernetes/client-node";
import type { Runtime } from "../../../src/main.js";
import {
  clients,
  createApp,
  freshNamespace,
  httpGet,
  waitForEvent,
  waitForReadyEndpoints,
} from "../helpers/kube.js";
import { startKubenap } from "../helpers/runtime.js";
import { ManualSource } from "../helpers/sources.js";

// Which app a request resolves to, on real Ingress, Service and Deployment objects. Awake apps answer
// 502 at once naming the app (--loop-guard 0s), so most cases need no wake.

const ENABLED = { "kubenap/enabled": "true" };
const net = () => clients().kc.makeApiClient(NetworkingV1Api);
const backend = (service: string) => ({ service: { name: service, port: { number: 80 } } });
const path = (pathType: string, p: string, service: string) => ({
  pathType,
  path: p,
  backend: backend(service),
});

async function ingress(namespace: string, name: string, spec: V1IngressSpec): Promise<void> {
  await net().createNamespacedIngress({ namespace, body: { metadata: { name }, spec } });
}

/** The app a 502 names, or the status. */
const appOf = (r: { status: number; body: string }): string =>
  r.status === 502 ? (/"detail":"([^ ]+) is awake/.exec(r.body)?.[1] ?? "502?") : String(r.status);

describe("wake resolution on a real control plane", () => {
  let kubenap: Runtime | undefined;
  afterEach(async () => {
    await kubenap?.stop();
    kubenap = undefined;
  });
  const get = (headers: Record<string, string>, p = "/wake") => httpGet(kubenap?.wakePort ?? 0, p, headers);

  it("follows the Ingress spec: Exact over Prefix, longest prefix, /foo/ matches /foo, :443, wildcard, defaultBackend, two Ingresses", async () => {
    const ns = await freshNamespace("route");
    for (const app of ["web", "api", "exact", "docs", "wild", "fallback"]) {
      await createApp(ns, app, { replicas: 1, labels: ENABLED });
    }
    await ingress(ns, "main", {
      rules: [
        {
          host: "shop.example",
          http: {
            paths: [
              path("Prefix", "/", "web"),
              path("Prefix", "/api", "api"),
              path("Exact", "/api/status", "exact"),
              path("Prefix", "/docs/", "docs"),
            ],
          },
        },
      ],
    });
    await ingress(ns, "wild", {
      rules: [{ host: "*.shop.example", http: { paths: [path("Prefix", "/", "wild")] } }],
    });
    await ingress(ns, "second", {
      defaultBackend: backend("fallback"),
      rules: [{ host: "other.example", http: { paths: [path("Exact", "/web", "web")] } }],
    });
    // What the loop guard reads: ready endpoints in each Service's EndpointSlices.
    for (const app of ["web", "api", "exact", "docs", "wild", "fallback"]) {
      await waitForReadyEndpoints(ns, app);
    }
    kubenap = await startKubenap(ns, new ManualSource(), ["--loop-guard", "0s"]);
    const cases: [string, string, string][] = [
      ["shop.example", "/", `${ns}/web`],
      ["shop.example", "/api/x?q=1", `${ns}/api`],
      ["shop.example", "/apix", `${ns}/web`],
      ["shop.example", "/api/status", `${ns}/exact`],
      ["shop.example", "/docs", `${ns}/docs`],
      ["shop.example:443", "/api/x", `${ns}/api`],
      ["shop.example:80", "/docs/a", `${ns}/docs`],
      ["a.shop.example", "/x", `${ns}/wild`],
      ["a.b.shop.example", "/x", "404"],
      ["other.example", "/web", `${ns}/web`],
      ["other.example", "/elsewhere", `${ns}/fallback`],
    ];
    for (const [host, p, want] of cases) {
      const res = await get({ Host: host, "X-Original-URI": p });
      expect([host, p, appOf(res)]).toEqual([host, p, want]);
    }
  });

  it("wakes the app whose Service the rule names, not the one with an extra metrics Service (/api/x wakes api)", async () => {
    const ns = await freshNamespace("route");
    await createApp(ns, "web", {
      replicas: 0,
      labels: ENABLED,
      annotations: { "kubenap/replicaCount": "1", "kubenap/ingress": "shop" },
    });
    await createApp(ns, "api", {
      replicas: 0,
      labels: ENABLED,
      annotations: { "kubenap/replicaCount": "1" },
    });
    // A second Service selecting web's pods: web's Service is no longer unique.
    await clients().core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name: "web-metrics" },
        spec: { selector: { app: "web" }, ports: [{ port: 9090 }] },
      },
    });
    await ingress(ns, "shop", {
      rules: [
        {
          host: "shop.example",
          http: { paths: [path("Prefix", "/", "web"), path("Prefix", "/api", "api")] },
        },
      ],
    });
    kubenap = await startKubenap(ns, new ManualSource(), ["--settle-delay", "100ms"]);
    const res = await get({ Host: "shop.example", "X-Original-URI": "/api/x" });
    expect([res.status, res.headers.location]).toEqual([307, "http://shop.example/api/x"]);
    const { apps } = clients();
    expect((await apps.readNamespacedDeployment({ name: "api", namespace: ns })).spec?.replicas).toBe(1);
    expect((await apps.readNamespacedDeployment({ name: "web", namespace: ns })).spec?.replicas).toBe(0);
  });

  it("gives a host and path claimed by two namespaces to the oldest Ingress, and counts only --ingress-class", async () => {
    const bank = await freshNamespace("bank");
    // "a-evil" sorts before "bank": only the creation times can make the bank's Ingress win.
    const evil = await freshNamespace("a-evil");
    await createApp(bank, "login", { replicas: 1, labels: ENABLED });
    await createApp(evil, "phish", { replicas: 1, labels: ENABLED });
    const rule = (svc: string) => ({
      host: "bank.example",
      http: { paths: [path("Prefix", "/login", svc)] },
    });
    await ingress(bank, "login", { ingressClassName: "public", rules: [rule("login")] });
    // creationTimestamp has one-second resolution: create the rival in a later second.
    const first = await net().readNamespacedIngress({ name: "login", namespace: bank });
    const created = first.metadata?.creationTimestamp?.getTime() ?? 0;
    await new Promise((r) => setTimeout(r, Math.min(2000, Math.max(0, created + 1000 - Date.now()))));
    await ingress(evil, "steal", { ingressClassName: "public", rules: [rule("phish")] });
    await ingress(evil, "internal", {
      ingressClassName: "internal",
      rules: [{ host: "intranet.example", http: { paths: [path("Prefix", "/", "phish")] } }],
    });
    await waitForReadyEndpoints(bank, "login");
    await waitForReadyEndpoints(evil, "phish");
    kubenap = await startKubenap(bank, new ManualSource(), [
      "--namespaces",
      `${bank},${evil}`,
      "--loop-guard",
      "0s",
      "--ingress-class",
      "public",
    ]);
    expect(appOf(await get({ Host: "bank.example", "X-Original-URI": "/login" }))).toBe(`${bank}/login`);
    expect(appOf(await get({ Host: "intranet.example", "X-Original-URI": "/" }))).toBe("404");
    // The newer Ingress's headers claim the bank's host: the Host and the headers disagree.
    const claim = await get({
      Host: "bank.example",
      "X-Original-URI": "/login",
      "X-Namespace": evil,
      "X-Service-Name": "phish",
      "X-Ingress-Name": "steal",
    });
    expect(claim.status).toBe(400);
    expect(claim.headers.location).toBeUndefined();
  });

  it("answers 400 and wakes nothing when the Host and the ingress headers name different apps", async () => {
    const ns = await freshNamespace("route");
    await createApp(ns, "web", { replicas: 0, labels: ENABLED });
    await createApp(ns, "api", { replicas: 0, labels: ENABLED });
    await ingress(ns, "shop", {
      rules: [
        {
          host: "shop.example",
          http: { paths: [path("Prefix", "/", "web"), path("Prefix", "/api", "api")] },
        },
      ],
    });
    kubenap = await startKubenap(ns, new ManualSource());
    const res = await get({
      Host: "shop.example",
      "X-Original-URI": "/api/x",
      "X-Namespace": ns,
      "X-Service-Name": "web",
    });
    expect(res.status).toBe(400);
    const { apps } = clients();
    for (const name of ["web", "api"]) {
      expect((await apps.readNamespacedDeployment({ name, namespace: ns })).spec?.replicas).toBe(0);
    }
  });

  it("redirects to https when the Ingress serves the host over TLS and no header says otherwise", async () => {
    const ns = await freshNamespace("route");
    await createApp(ns, "web", {
      replicas: 0,
      labels: ENABLED,
      annotations: { "kubenap/replicaCount": "1" },
    });
    await ingress(ns, "web", {
      tls: [{ hosts: ["secure.example"], secretName: "whatever" }],
      rules: [{ host: "secure.example", http: { paths: [path("Prefix", "/", "web")] } }],
    });
    kubenap = await startKubenap(ns, new ManualSource(), ["--settle-delay", "100ms"]);
    const res = await get({ Host: "secure.example", "X-Original-URI": "/cart", "X-Code": "503" });
    expect([res.status, res.headers.location]).toEqual([307, "https://secure.example/cart"]);
  });

  it("wakes a sleeping app with an invalid annotation by Host, restores its count and emits InvalidAnnotation naming the key", async () => {
    const ns = await freshNamespace("route");
    await createApp(ns, "web", {
      replicas: 0,
      labels: ENABLED,
      annotations: { "kubenap/replicaCount": "3", "kubenap/proxy": "nginxx", "kubenap/state": "asleep" },
    });
    await ingress(ns, "web", {
      rules: [{ host: "typo.example", http: { paths: [path("Prefix", "/", "web")] } }],
    });
    kubenap = await startKubenap(ns, new ManualSource(), ["--settle-delay", "100ms"]);
    const res = await get({ Host: "typo.example", "X-Original-URI": "/" });
    expect(res.status).toBe(307);
    const dep = await clients().apps.readNamespacedDeployment({ name: "web", namespace: ns });
    expect(dep.spec?.replicas).toBe(3);
    const ev = await waitForEvent(ns, "web", "InvalidAnnotation");
    expect(ev.message).toContain("kubenap/proxy");
  });
});
