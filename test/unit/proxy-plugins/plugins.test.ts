import type { V1Deployment, V1Ingress, V1Service } from "@kubernetes/client-node";
import { parse, parseAllDocuments } from "yaml";
import {
  DEFAULT_PLUGIN_OPTIONS,
  PROXY_KINDS,
  ProxyPluginError,
  defaultWakeService,
  pluginTarget,
  proxyPlugin,
} from "../../../src/proxy-plugins/index.js";

const dep = (annotations: Record<string, string> = {}, enabled = "true"): V1Deployment => ({
  metadata: { name: "web", namespace: "shop", labels: { "kubenap/enabled": enabled }, annotations },
  spec: {
    selector: { matchLabels: { app: "web" } },
    template: { metadata: { labels: { app: "web" } }, spec: { containers: [] } },
  },
});
const svc = (name: string, selector: Record<string, string> = { app: "web" }): V1Service => ({
  metadata: { name, namespace: "shop" },
  spec: { selector, ports: [{ port: 8080 }] },
});
const ing: V1Ingress = {
  metadata: { name: "web", namespace: "shop" },
  spec: { tls: [{ hosts: ["web.example.com"] }], rules: [{ host: "web.example.com" }] },
};
const target = () =>
  pluginTarget({ deployment: dep({ "kubenap/ingress": "web" }), services: [svc("web")], ingresses: [ing] });

describe("the proxy plugin registry", () => {
  it("has one plugin per kind, alphabetical", () => {
    expect(PROXY_KINDS).toEqual(["istio", "nginx", "traefik"]);
    for (const k of PROXY_KINDS) expect(proxyPlugin(k).kind).toBe(k);
  });

  it("rejects an unknown kind with the list of known ones", () => {
    expect(() => proxyPlugin("haproxy")).toThrow(
      'unknown proxy "haproxy": available are istio, nginx, traefik',
    );
    expect(() => proxyPlugin("toString")).toThrow(ProxyPluginError);
  });
});

describe("reading a plugin target from the app's objects", () => {
  it("takes the Service selecting the pods, the Ingress's hosts, and https when the host has TLS", () => {
    expect(target()).toEqual({
      namespace: "shop",
      deployment: "web",
      service: "web",
      servicePort: 8080,
      hosts: ["web.example.com"],
      scheme: "https",
      upstream: "web.shop.svc.cluster.local:8080",
    });
  });

  it.each([
    [
      "a Deployment that did not opt in",
      { deployment: dep({}, "false"), services: [svc("web")], hosts: ["h"] },
      /not opted in/,
    ],
    [
      "no Service selecting the pods",
      { deployment: dep(), services: [svc("x", { app: "x" })], hosts: ["h"] },
      /exactly one Service/,
    ],
    [
      "two Services selecting the pods",
      { deployment: dep(), services: [svc("a"), svc("b")], hosts: ["h"] },
      /found 2/,
    ],
    [
      "a named Service that does not exist",
      { deployment: dep({ "kubenap/service": "nope" }), services: [svc("web")], hosts: ["h"] },
      /nope.*does not exist/,
    ],
    [
      "a named Ingress that does not exist",
      { deployment: dep({ "kubenap/ingress": "nope" }), services: [svc("web")] },
      /ingress shop\/nope/,
    ],
    ["no host at all", { deployment: dep(), services: [svc("web")] }, /no host/],
  ])("refuses %s with a clear error", (_what, input, message) => {
    expect(() => pluginTarget(input)).toThrow(message);
  });
});

describe("the nginx plugin", () => {
  const [server, ingressNginx] = proxyPlugin("nginx").render(
    target(),
    defaultWakeService(),
    DEFAULT_PLUGIN_OPTIONS,
  );

  it("sends 502/503/504 to a named location (method and body kept) that calls the explicit wake path", () => {
    expect(server?.content).toContain("error_page 502 503 504 = @kubenap;");
    expect(server?.content).toContain("rewrite ^ /wake/shop/web? break;");
    expect(server?.content).toContain("proxy_pass http://kubenap.kubenap.svc.cluster.local;");
  });

  it("sets the wake headers itself (https known from the Ingress) and clears the ones a client could forge", () => {
    const c = server?.content ?? "";
    expect(c).toContain("proxy_set_header X-Original-URI $request_uri;");
    expect(c).toContain("proxy_set_header X-Forwarded-Proto https;");
    for (const h of [
      "X-Forwarded-Uri",
      "X-Namespace",
      "X-Service-Name",
      "X-Ingress-Name",
      "X-Code",
      "X-Scheme",
    ]) {
      expect(c).toContain(`proxy_set_header ${h} "";`);
    }
  });

  it("renders the ingress-nginx form with a default backend in the app's namespace pointing at KubeNap", () => {
    const [service, ingress] = parseAllDocuments(ingressNginx?.content ?? "").map(
      (d) => d.toJS() as Record<string, never>,
    );
    expect(service).toMatchObject({
      kind: "Service",
      metadata: { namespace: "shop" },
      spec: { type: "ExternalName", externalName: "kubenap.kubenap.svc.cluster.local" },
    });
    expect(ingress).toMatchObject({
      kind: "Ingress",
      metadata: {
        annotations: {
          "nginx.ingress.kubernetes.io/custom-http-errors": "502,503,504",
          "nginx.ingress.kubernetes.io/default-backend": "kubenap-wake-web",
        },
      },
    });
  });
});

describe("the traefik plugin", () => {
  const files = proxyPlugin("traefik").render(target(), defaultWakeService(), DEFAULT_PLUGIN_OPTIONS);
  const doc = (name: string) =>
    parse(files.find((f) => f.name === name)?.content ?? "") as Record<string, never>;

  it("catches 502-504, rewrites the forced status to 307 and passes the original URL in the query", () => {
    expect(doc("middleware.yaml")).toMatchObject({
      kind: "Middleware",
      spec: {
        errors: {
          status: ["502-504"],
          statusRewrites: { "502-504": 307 },
          service: { name: "kubenap", namespace: "kubenap", port: 80 },
          query: "/wake/shop/web?uri={url}",
        },
      },
    });
  });

  it("forwards only headers Traefik sets or that are harmless, never X-Original-URI", () => {
    const headers = (
      doc("middleware.yaml") as unknown as { spec: { errors: { errorRequestHeaders: string[] } } }
    ).spec.errors.errorRequestHeaders;
    expect(headers).not.toContain("X-Original-URI");
    expect(headers).toContain("X-Forwarded-Host");
  });

  it("attaches the Middleware to an Ingress, an IngressRoute and an HTTPRoute", () => {
    expect(doc("ingress.yaml")).toMatchObject({
      metadata: {
        annotations: {
          "traefik.ingress.kubernetes.io/router.middlewares": "shop-kubenap-wake-web@kubernetescrd",
        },
      },
    });
    expect(doc("ingressroute.yaml")).toMatchObject({
      spec: { routes: [{ middlewares: [{ name: "kubenap-wake-web" }] }] },
    });
    expect(doc("httproute.yaml")).toMatchObject({
      spec: {
        rules: [
          {
            filters: [
              {
                type: "ExtensionRef",
                extensionRef: { group: "traefik.io", kind: "Middleware", name: "kubenap-wake-web" },
              },
            ],
          },
        ],
      },
    });
  });
});

describe("the istio plugin", () => {
  const [filter, lua] = proxyPlugin("istio").render(target(), defaultWakeService(), DEFAULT_PLUGIN_OPTIONS);

  it("inserts the Lua before the router of the ingress gateway", () => {
    expect(parse(filter?.content ?? "")).toMatchObject({
      kind: "EnvoyFilter",
      metadata: { namespace: "istio-system" },
      spec: { configPatches: [{ applyTo: "HTTP_FILTER", patch: { operation: "INSERT_BEFORE" } }] },
    });
    expect(filter?.content).toContain("envoy_on_response");
  });

  it("calls KubeNap through the cluster Istio names for its Service, on the explicit wake path", () => {
    expect(lua?.content).toContain('local WAKE_CLUSTER = "outbound|80||kubenap.kubenap.svc.cluster.local"');
    expect(lua?.content).toContain('local WAKE_PATH = "/wake/shop/web"');
    expect(lua?.content).toContain('local SCHEME = "https"');
  });
});
