import { execFileSync } from "node:child_process";
import { join } from "node:path";
import {
  CustomObjectsApi,
  NetworkingV1Api,
  type V1EndpointSlice,
  type V1IngressSpec,
} from "@kubernetes/client-node";
import type { Runtime } from "../../../src/main.js";
import {
  clients,
  createApp,
  ENABLED,
  freshNamespace,
  httpGet,
  testKubeConfig,
  waitFor,
  waitForEvent,
} from "../helpers/kube.js";
import { startKubenap } from "../helpers/runtime.js";
import { ManualSource } from "../helpers/sources.js";

// Which app a request resolves to, on real Ingress, Service and Deployment objects. Awake apps answer
// 502 at once naming the app (--loop-guard 0s), so most cases need no wake.

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

/** Waits (bounded) until the Service has a ready endpoint: what KubeNap's readiness watches. */
const endpointsReady = (namespace: string, service: string) =>
  waitFor<V1EndpointSlice>(
    testKubeConfig(),
    `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
    (sl) =>
      sl.metadata?.labels?.["kubernetes.io/service-name"] === service &&
      (sl.endpoints ?? []).some((e) => e.conditions?.ready !== false && e.addresses.length > 0),
    30_000,
  );

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
    for (const app of ["web", "api", "exact", "docs", "wild", "fallback"]) await endpointsReady(ns, app);
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

  it("redirects to https for an HTTPRoute host whose Gateway listener is HTTPS (Gateway API installed)", async () => {
    // The Gateway API CRDs as the e2e journeys install them (test/e2e/install-proxies.sh caches them).
    const proxies = execFileSync("bash", ["test/e2e/install-proxies.sh"], { encoding: "utf8" })
      .trim()
      .split("\n")
      .pop();
    const crds = ["gateways", "httproutes"].map((r) =>
      join(`${proxies}`, "gateway-api-v1.6.3", `gateway.networking.k8s.io_${r}.yaml`),
    );
    const kubectl = join(process.env.KUBENAP_TEST_BIN ?? "", "kubectl");
    const kubeconfig = process.env.KUBENAP_TEST_KUBECONFIG ?? "";
    execFileSync(kubectl, [
      "--kubeconfig",
      kubeconfig,
      "apply",
      "--server-side",
      ...crds.flatMap((f) => ["-f", f]),
    ]);
    execFileSync(kubectl, [
      "--kubeconfig",
      kubeconfig,
      "wait",
      "--for=condition=Established",
      "--timeout=30s",
      "crd/gateways.gateway.networking.k8s.io",
      "crd/httproutes.gateway.networking.k8s.io",
    ]);
    const ns = await freshNamespace("gwtls");
    await createApp(ns, "web", {
      replicas: 0,
      labels: ENABLED,
      annotations: { "kubenap/replicaCount": "1" },
    });
    const custom = clients().kc.makeApiClient(CustomObjectsApi);
    const gw = { group: "gateway.networking.k8s.io", version: "v1", namespace: ns };
    await custom.createNamespacedCustomObject({
      ...gw,
      plural: "gateways",
      body: {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "Gateway",
        metadata: { name: "gw" },
        spec: {
          gatewayClassName: "any",
          listeners: [
            { name: "web", port: 80, protocol: "HTTP", hostname: "*.example" },
            {
              name: "websecure",
              port: 443,
              protocol: "HTTPS",
              hostname: "*.example",
              tls: { certificateRefs: [{ name: "cert" }] },
            },
          ],
        },
      },
    });
    await custom.createNamespacedCustomObject({
      ...gw,
      plural: "httproutes",
      body: {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: { name: "web" },
        spec: {
          hostnames: ["web.example"],
          parentRefs: [{ name: "gw", sectionName: "websecure" }],
          rules: [{ backendRefs: [{ name: "web", port: 80 }] }],
        },
      },
    });
    kubenap = await startKubenap(ns, new ManualSource(), ["--settle-delay", "100ms"]);
    // No forwarded header says the scheme: the listener's HTTPS does. Another host is refused.
    const other = await get({ Host: "evil.example", "X-Original-URI": "/x" }, `/wake/${ns}/web`);
    expect(other.status).toBe(400);
    const res = await get({ Host: "web.example", "X-Original-URI": "/cart?id=1" }, `/wake/${ns}/web`);
    expect([res.status, res.headers.location]).toEqual([307, "https://web.example/cart?id=1"]);
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
    await endpointsReady(bank, "login");
    await endpointsReady(evil, "phish");
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

  it("redirects to https when the Ingress serves the host over TLS and no header says otherwise; X-Forwarded-Host only on its hosts", async () => {
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
    // Host rewritten by a proxy: X-Forwarded-Host counts only when it names one of the Ingress's hosts.
    const viaProxy = {
      Host: "kubenap.kubenap.svc",
      "X-Namespace": ns,
      "X-Service-Name": "web",
      "X-Original-URI": "/a",
    };
    const evil = await get({ ...viaProxy, "X-Forwarded-Host": "evil.example" });
    expect([evil.status, evil.headers.location]).toEqual([400, undefined]);
    const good = await get({ ...viaProxy, "X-Forwarded-Host": "secure.example" });
    expect([good.status, good.headers.location]).toEqual([307, "https://secure.example/a"]);
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
