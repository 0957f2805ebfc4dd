import { BadWakeRequest } from "../../../src/wake/errors.js";
import { TargetNotFound, type Lookup, type TargetIndex } from "../../../src/wake/targets.js";
import { dep, ing, rule, svc, world } from "./world.js";

/** What a lookup resolves to: the app key, "404" or "400". */
function outcome(index: TargetIndex, q: Lookup): string {
  try {
    return index.resolve(q).key;
  } catch (err) {
    if (err instanceof TargetNotFound) return "404";
    if (err instanceof BadWakeRequest) return String(err.status);
    throw err;
  }
}

// One shop: web (/), api (/api), a metrics Service that also selects web's pods, an app that did not
// opt in (admin, /admin), Exact and Prefix rules on the same paths, a wildcard host, a default backend.
const shop = () =>
  world([
    dep("shop", "web"),
    dep("shop", "api"),
    dep("shop", "docs"),
    dep("shop", "exact"),
    dep("shop", "wild"),
    dep("shop", "fallback"),
    dep("shop", "admin", { optIn: false }),
    svc("shop", "web", "web"),
    svc("shop", "web-metrics", "web"),
    svc("shop", "api", "api"),
    svc("shop", "docs", "docs"),
    svc("shop", "exact", "exact"),
    svc("shop", "wild", "wild"),
    svc("shop", "fallback", "fallback"),
    svc("shop", "admin", "admin"),
    ing("shop", "main", [
      rule("shop.example", ["Prefix", "/", "web"], ["Prefix", "/api", "api"], ["Prefix", "/admin", "admin"]),
      rule("shop.example", ["Prefix", "/docs/", "docs"], ["Exact", "/api/status", "exact"]),
      rule("shop.example", ["Prefix", "/api/v2", "web"], ["ImplementationSpecific", "/legacy", "docs"]),
    ]),
    ing("shop", "wild", [rule("*.shop.example", ["Prefix", "/", "wild"])]),
    ing("shop", "special", [rule("exact.shop.example", ["Exact", "/only", "exact"])]),
    ing("shop", "fallback", [rule("fb.example", ["Exact", "/x", "api"])], { defaultBackend: "fallback" }),
  ]);

describe("TargetIndex resolution by Host and path (Ingress spec precedence)", () => {
  const index = shop();
  it.each<[string, string | undefined, string, string]>([
    ["root path goes to the / rule", "shop.example", "/", "shop/web"],
    ["longest prefix wins: /api/x is api's, not web's", "shop.example", "/api/x", "shop/api"],
    ["prefix matches the path itself", "shop.example", "/api", "shop/api"],
    ["prefix is element-wise: /apix is not under /api", "shop.example", "/apix", "shop/web"],
    ["the query does not take part", "shop.example", "/api?x=/y", "shop/api"],
    ["Exact beats a longer-matching Prefix", "shop.example", "/api/status", "shop/exact"],
    ["Exact does not match a trailing slash", "shop.example", "/api/status/", "shop/api"],
    ["prefix /docs/ matches /docs", "shop.example", "/docs", "shop/docs"],
    ["prefix /docs/ matches /docs/a", "shop.example", "/docs/a", "shop/docs"],
    ["longer prefix to another Service of web", "shop.example", "/api/v2/x", "shop/web"],
    ["ImplementationSpecific is a string prefix (ingress-nginx)", "shop.example", "/legacyx", "shop/docs"],
    [
      "a path to a Service of an app that did not opt in is 404, not the / app",
      "shop.example",
      "/admin/x",
      "404",
    ],
    ["Host with :443", "shop.example:443", "/api/x", "shop/api"],
    ["Host with :80", "shop.example:80", "/", "shop/web"],
    ["Host in upper case with a trailing dot", "SHOP.example.", "/api", "shop/api"],
    ["wildcard covers one label", "a.shop.example", "/x", "shop/wild"],
    ["wildcard does not cover two labels", "a.b.shop.example", "/x", "404"],
    ["exact host beats the wildcard, with no fall-through", "exact.shop.example", "/other", "404"],
    ["exact host, exact path", "exact.shop.example", "/only", "shop/exact"],
    ["defaultBackend serves the Ingress's hosts' unmatched paths", "fb.example", "/y", "shop/fallback"],
    ["a rule path beats the defaultBackend", "fb.example", "/x", "shop/api"],
    ["an unknown host is 404", "unknown.example", "/", "404"],
    ["no host and no headers is 404", undefined, "/", "404"],
  ])("%s (%s%s → %s)", (_what, host, path, want) => {
    expect(outcome(index, { ...(host !== undefined && { host }), path })).toBe(want);
  });
});

describe("TargetIndex resolution with ingress headers", () => {
  const index = shop();
  it.each<[string, Partial<Lookup>, string]>([
    ["explicit path", { namespace: "shop", deployment: "api", path: "/" }, "shop/api"],
    [
      "explicit path of an app that did not opt in",
      { namespace: "shop", deployment: "admin", path: "/" },
      "404",
    ],
    ["service header", { namespace: "shop", service: "api", path: "/" }, "shop/api"],
    ["second Service of the same app", { namespace: "shop", service: "web-metrics", path: "/" }, "shop/web"],
    [
      "ingress header with host and path",
      { namespace: "shop", ingress: "main", host: "shop.example", path: "/api/1" },
      "shop/api",
    ],
    [
      "headers and Host agree",
      { namespace: "shop", service: "api", host: "shop.example", path: "/api/1" },
      "shop/api",
    ],
    [
      "headers and Host disagree → 400",
      { namespace: "shop", service: "web", host: "shop.example", path: "/api/1" },
      "400",
    ],
    [
      "explicit path and Host disagree → 400",
      { namespace: "shop", deployment: "web", host: "shop.example", path: "/api" },
      "400",
    ],
    [
      "namespace header and Host's namespace disagree → 400",
      { namespace: "other", host: "shop.example", path: "/" },
      "400",
    ],
    [
      "service header naming a non-opted-in app is 404",
      { namespace: "shop", service: "admin", path: "/" },
      "404",
    ],
    [
      "service header naming a non-opted-in app, Host elsewhere → 400",
      { namespace: "shop", service: "admin", host: "shop.example", path: "/" },
      "400",
    ],
    [
      "a Host no Ingress names does not disagree",
      { namespace: "shop", service: "api", host: "kubenap.kubenap.svc", path: "/" },
      "shop/api",
    ],
  ])("%s", (_what, q, want) => {
    expect(outcome(index, { path: "/", ...q })).toBe(want);
  });
});

describe("TargetIndex across namespaces and classes", () => {
  it("gives a host and path claimed by two namespaces to the oldest Ingress, whatever the event order", () => {
    const objs = [
      dep("bank", "login"),
      svc("bank", "login", "login"),
      dep("evil", "phish"),
      svc("evil", "phish", "phish"),
      ing("evil", "steal", [rule("bank.example", ["Prefix", "/login", "phish"])], {
        created: "2026-02-01T00:00:00Z",
      }),
      ing("bank", "login", [rule("bank.example", ["Prefix", "/login", "login"])], {
        created: "2026-01-01T00:00:00Z",
      }),
    ];
    for (const order of [objs, [...objs].reverse()]) {
      expect(outcome(world(order), { host: "bank.example", path: "/login" })).toBe("bank/login");
    }
  });

  it("counts only Ingresses of --ingress-class when it is set (spec field or legacy annotation)", () => {
    const objs = [
      dep("a", "web"),
      svc("a", "web", "web"),
      ing("a", "public", [rule("pub.example", ["Prefix", "/", "web"])], { className: "nginx" }),
      ing("a", "internal", [rule("int.example", ["Prefix", "/", "web"])], { className: "internal" }),
    ];
    const legacy = ing("a", "legacy", [rule("legacy.example", ["Prefix", "/", "web"])]);
    legacy.metadata = { ...legacy.metadata, annotations: { "kubernetes.io/ingress.class": "nginx" } };
    const index = world([...objs, legacy], { ingressClass: "nginx" });
    expect(outcome(index, { host: "pub.example", path: "/" })).toBe("a/web");
    expect(outcome(index, { host: "legacy.example", path: "/" })).toBe("a/web");
    expect(outcome(index, { host: "int.example", path: "/" })).toBe("404");
    expect(outcome(world(objs), { host: "int.example", path: "/" })).toBe("a/web");
  });

  it("maps a backend Service selecting two opted-in apps to neither, unless one names it in kubenap/service", () => {
    const objs = [
      dep("n", "one", { podLabels: { tier: "x", app: "one" } }),
      dep("n", "two", { podLabels: { tier: "x", app: "two" } }),
      svc("n", "shared", { tier: "x" }),
      ing("n", "i", [rule("s.example", ["Prefix", "/", "shared"])]),
    ];
    expect(outcome(world(objs), { host: "s.example", path: "/" })).toBe("404");
    const named = [
      ...objs,
      dep("n", "two", { podLabels: { tier: "x", app: "two" }, annotations: { "kubenap/service": "shared" } }),
    ];
    expect(outcome(world(named), { host: "s.example", path: "/" })).toBe("n/two");
  });

  it("lets several Ingresses route to one app and lists all their hosts for the redirect", () => {
    const index = world([
      dep("n", "web"),
      svc("n", "web", "web"),
      ing("n", "a", [rule("a.example", ["Prefix", "/", "web"])], { tls: [{ hosts: ["a.example"] }] }),
      ing("n", "b", [rule("b.example", ["Prefix", "/", "web"])]),
    ]);
    expect(outcome(index, { host: "b.example", path: "/" })).toBe("n/web");
    const viaHost = index.resolve({ host: "a.example", path: "/" });
    expect(viaHost.hosts).toEqual(["a.example"]);
    expect(viaHost.tlsHosts).toEqual(["a.example"]);
    const explicit = index.resolve({ namespace: "n", deployment: "web", path: "/" });
    expect(explicit.hosts?.sort()).toEqual(["a.example", "b.example"]);
    expect(explicit.service).toBe("web");
  });

  it("takes the redirect hosts of an app behind an HTTPRoute, and https where its Gateway listener is HTTPS", () => {
    const index = world([dep("n", "web"), svc("n", "web", "web"), dep("n", "api"), svc("n", "api", "api")]);
    const gateway = (name: string, listeners: { name: string; hostname?: string; protocol: string }[]) => ({
      metadata: { namespace: "infra", name },
      spec: { listeners },
    });
    const route = (name: string, service: string, hostnames: string[], sectionName?: string) => ({
      metadata: { namespace: "n", name },
      spec: {
        hostnames,
        parentRefs: [{ namespace: "infra", name: "gw", ...(sectionName && { sectionName }) }],
        rules: [{ backendRefs: [{ name: service, port: 80 }] }],
      },
    });
    index.onGateway(
      "add",
      gateway("gw", [
        { name: "web", hostname: "*.example", protocol: "HTTP" },
        { name: "websecure", hostname: "*.example", protocol: "HTTPS" },
      ]),
    );
    index.onHTTPRoute("add", route("web", "web", ["web.example"], "websecure"));
    index.onHTTPRoute("add", route("api", "api", ["api.example"], "web"));
    const web = index.resolve({ namespace: "n", deployment: "web", path: "/" });
    expect(web.hosts).toEqual(["web.example"]);
    expect(web.tlsHosts).toEqual(["web.example"]);
    const api = index.resolve({ namespace: "n", deployment: "api", path: "/" });
    expect(api.hosts).toEqual(["api.example"]);
    expect(api.tlsHosts).toBeUndefined();
    // The route moves to the HTTPS listener; then the route goes away.
    index.onHTTPRoute("update", route("api", "api", ["api.example"], "websecure"));
    expect(index.resolve({ namespace: "n", deployment: "api", path: "/" }).tlsHosts).toEqual(["api.example"]);
    index.onHTTPRoute("delete", route("api", "api", ["api.example"]));
    expect(index.resolve({ namespace: "n", deployment: "api", path: "/" }).hosts).toBeUndefined();
    // A route without hostnames takes its listener's; a Gateway without TLS gives no https.
    index.onGateway("update", gateway("gw", [{ name: "web", hostname: "plain.example", protocol: "HTTP" }]));
    index.onHTTPRoute("add", route("api", "api", []));
    const plain = index.resolve({ namespace: "n", deployment: "api", path: "/" });
    expect(plain.hosts).toEqual(["plain.example"]);
    expect(plain.tlsHosts).toBeUndefined();
  });

  it("follows events: an Ingress removed or changed, a Service's selector changed, a Deployment opting out", () => {
    const web = dep("n", "web");
    const index = world([
      web,
      svc("n", "web", "web"),
      ing("n", "i", [rule("h.example", ["Prefix", "/", "web"])]),
    ]);
    expect(outcome(index, { host: "h.example", path: "/" })).toBe("n/web");
    index.onService("update", svc("n", "web", "other"));
    expect(outcome(index, { host: "h.example", path: "/" })).toBe("404");
    index.onService("update", svc("n", "web", "web"));
    index.onIngress("update", ing("n", "i", [rule("g.example", ["Prefix", "/", "web"])]));
    expect(outcome(index, { host: "h.example", path: "/" })).toBe("404");
    expect(outcome(index, { host: "g.example", path: "/" })).toBe("n/web");
    index.onDeployment("update", dep("n", "web", { optIn: false }));
    expect(outcome(index, { host: "g.example", path: "/" })).toBe("404");
    index.onDeployment("add", web);
    index.onIngress("delete", ing("n", "i", []));
    expect(outcome(index, { host: "g.example", path: "/" })).toBe("404");
    expect(index.size).toBe(1);
  });
});

describe("TargetIndex and invalid annotations (a sleeping app always wakes)", () => {
  it.each<[string, Record<string, string>]>([
    ["a typo in kubenap/proxy", { "kubenap/proxy": "nginxx" }],
    ["an unknown metrics source", { "kubenap/metricsSource": "graphite" }],
    ["a bad duration", { "kubenap/idleAfter": "soon" }],
    ["a replica count out of range", { "kubenap/replicaCount": "0" }],
  ])(
    "resolves an app with %s, by path, headers and Host, with defaults and the problem listed",
    (_what, annotations) => {
      const index = world([
        dep("n", "web", { annotations: { ...annotations, "kubenap/wakeTimeout": "2m" } }),
        svc("n", "web", "web"),
        ing("n", "i", [rule("h.example", ["Prefix", "/", "web"])]),
      ]);
      for (const q of [
        { namespace: "n", deployment: "web", path: "/" },
        { namespace: "n", service: "web", path: "/" },
        { host: "h.example", path: "/" },
      ]) {
        const t = index.resolve(q);
        expect(t.key).toBe("n/web");
        expect(t.policy.wakeTimeoutMs).toBe(120_000);
        expect(t.problems?.map((p) => p.key)).toEqual(Object.keys(annotations));
      }
    },
  );

  it("lists no problems for valid annotations", () => {
    const index = world([dep("n", "web", { annotations: { "kubenap/replicaCount": "3" } })]);
    const t = index.resolve({ namespace: "n", deployment: "web", path: "/" });
    expect(t.problems).toBeUndefined();
    expect(t.policy.replicaCount).toBe(3);
  });
});
