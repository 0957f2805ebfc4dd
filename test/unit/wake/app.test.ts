import { connect, type Socket } from "node:net";
import { cookieName } from "../../../src/wake/redirect-count.js";
import { headersTimeoutFor } from "../../../src/wake/server.js";
import { send, startHarness, type Harness } from "./harness.js";
import { dep, ing, rule, svc } from "./world.js";

const HOST = "app.example";
const objs = (o: { replicas?: number; annotations?: Record<string, string> } = {}) => [
  dep("n", "web", {
    replicas: o.replicas ?? 0,
    annotations: o.annotations ?? { "kubenap/replicaCount": "2" },
  }),
  svc("n", "web", "web"),
  dep("n", "api"),
  svc("n", "api", "api"),
  ing(
    "n",
    "web",
    [
      rule(HOST, ["Prefix", "/", "web"], ["Prefix", "/api", "api"]),
      rule("plain.example", ["Prefix", "/", "web"]),
    ],
    {
      tls: [{ hosts: [HOST] }],
    },
  ),
];

describe("the wake app in-process", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const wake = (headers: Record<string, string>, path = "/wake") =>
    send(h?.port ?? 0, { path, headers: { "X-Original-URI": "/orders?id=7", ...headers } });

  describe("scheme of the redirect", () => {
    it.each<[string, Record<string, string>, string, string]>([
      ["no header, host in spec.tls → https", { Host: HOST }, "/wake", `https://${HOST}/orders?id=7`],
      [
        "no header, host not in spec.tls → http",
        { Host: "plain.example" },
        "/wake",
        "http://plain.example/orders?id=7",
      ],
      [
        "no header, ?scheme=https from the plugin config",
        { Host: "plain.example" },
        "/wake?scheme=https",
        "https://plain.example/orders?id=7",
      ],
      [
        "X-Forwarded-Proto in upper case",
        { Host: "plain.example", "X-Forwarded-Proto": "HTTPS" },
        "/wake",
        "https://plain.example/orders?id=7",
      ],
      [
        "X-Forwarded-Proto list: first value",
        { Host: "plain.example", "X-Forwarded-Proto": "https, http" },
        "/wake",
        "https://plain.example/orders?id=7",
      ],
      [
        "Forwarded: proto=https",
        { Host: "plain.example", Forwarded: "for=10.0.0.9;proto=https" },
        "/wake",
        "https://plain.example/orders?id=7",
      ],
      [
        "X-Forwarded-Proto http beats TLS (the client came in clear)",
        { Host: HOST, "X-Forwarded-Proto": "http" },
        "/wake",
        `http://${HOST}/orders?id=7`,
      ],
      ["Host with :443 and TLS", { Host: `${HOST}:443` }, "/wake", `https://${HOST}/orders?id=7`],
    ])("%s", async (_what, headers, path, location) => {
      h = await startHarness(objs());
      const res = await wake(headers, path);
      expect([res.status, res.headers.location]).toEqual([307, location]);
      if (location.startsWith("https:")) expect(String(res.headers["set-cookie"])).toContain("Secure");
    });
  });

  it("keeps the bytes of a non-ASCII path (/p/ä → /p/%C3%A4)", async () => {
    h = await startHarness(objs());
    const raw = Buffer.from("/p/ä?q=ü", "utf8").toString("latin1");
    const res = await wake({ Host: HOST, "X-Original-URI": raw });
    expect(res.status).toBe(307);
    expect(res.headers.location).toBe(`https://${HOST}/p/%C3%A4?q=%C3%BC`);
  });

  it("answers 400 when the Host and the ingress headers name different apps, and wakes neither", async () => {
    h = await startHarness(objs());
    const res = await wake({
      Host: HOST,
      "X-Namespace": "n",
      "X-Service-Name": "web",
      "X-Original-URI": "/api/x",
    });
    expect(res.status).toBe(400);
    expect(res.headers.location).toBeUndefined();
    expect(res.body).toMatch(/deployment n\/api/);
    expect(h.scaleUps).toEqual([]);
  });

  it("uses X-Forwarded-Host only when it names one of the same Ingress's hosts", async () => {
    h = await startHarness(objs());
    const ok = await wake({
      Host: "kubenap.kubenap.svc",
      "X-Forwarded-Host": "plain.example",
      "X-Namespace": "n",
      "X-Service-Name": "web",
    });
    expect([ok.status, ok.headers.location]).toEqual([307, "http://plain.example/orders?id=7"]);
    const evil = await wake({
      Host: "kubenap.kubenap.svc",
      "X-Forwarded-Host": "evil.example",
      "X-Namespace": "n",
      "X-Service-Name": "web",
    });
    expect([evil.status, evil.headers.location]).toEqual([400, undefined]);
    // X-Forwarded-Host never picks the app: Host does.
    const byXfh = await wake({ Host: "unknown.example", "X-Forwarded-Host": HOST });
    expect(byXfh.status).toBe(404);
  });

  it("wakes an app whose annotations are invalid and reports them (InvalidAnnotation)", async () => {
    h = await startHarness(objs({ annotations: { "kubenap/proxy": "nginxx", "kubenap/replicaCount": "2" } }));
    const res = await wake({ Host: HOST });
    expect(res.status).toBe(307);
    expect(h.scaleUps).toEqual(["n/web"]);
    expect(h.events.find((e) => e[1] === "InvalidAnnotation")?.[2]).toContain("kubenap/proxy");
  });

  describe("redirect loop guard (counted, not timed)", () => {
    // The app is awake and ready, yet the ingress keeps sending its errors here (it answers 503 while
    // it warms up): each client gets a bounded number of back-off redirects, then the waiting page / 503.
    const warmingUp = async (): Promise<Harness> => {
      const harness = await startHarness(objs({ replicas: 2 }), { limits: { redirectBackoffMs: 100 } });
      harness.ready("n", "web");
      return harness;
    };

    it("gives a client without cookies at most --max-redirects 307s, backed off, then 503 + Retry-After", async () => {
      h = await warmingUp();
      const statuses: number[] = [];
      const t0 = Date.now();
      for (let i = 0; i < 10; i++) statuses.push((await wake({ Host: HOST, "User-Agent": "curl/8" })).status);
      expect(statuses).toEqual([307, 307, 307, 307, 307, 503, 503, 503, 503, 503]);
      // 0 + 100 + 200 + 400 + 800 ms of back-off.
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
      const last = await wake({ Host: HOST, "User-Agent": "curl/8" });
      expect(last.headers["retry-after"]).toBe("5");
      // Another client is counted apart.
      expect((await wake({ Host: HOST, "User-Agent": "other" })).status).toBe(307);
    });

    it("counts through the cookie for browsers, then serves the waiting page", async () => {
      h = await warmingUp();
      let cookie = "";
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) {
        // A fresh client address each time: only the cookie can carry the count.
        const res = await wake({
          Host: HOST,
          Accept: "text/html",
          Cookie: cookie,
          "X-Forwarded-For": `10.1.0.${i}`,
        });
        statuses.push(res.status);
        const set = res.headers["set-cookie"]?.[0];
        if (set) cookie = set.split(";")[0] ?? "";
        if (res.status === 503) expect(res.body).toContain("Waking up web");
      }
      expect(statuses).toEqual([307, 307, 307, 307, 307, 503, 503]);
      expect(cookie).toMatch(/^kubenap_r_[0-9a-f]{12}=5$/);
    });

    it("past --loop-guard, lets a client in the middle of its redirects finish them; others get the app's 502", async () => {
      h = await startHarness(objs({ replicas: 2 }), { limits: { loopGuardMs: 50, redirectBackoffMs: 10 } });
      h.ready("n", "web");
      await wake({ Host: HOST, "X-KubeNap-Poll": "1" }); // readiness first seen now
      await new Promise((r) => setTimeout(r, 100));
      const name = cookieName("n/web");
      const mid = await wake({ Host: HOST, Cookie: `${name}=2`, "User-Agent": "a" });
      expect(mid.status).toBe(307);
      expect(mid.headers["set-cookie"]?.[0]).toMatch(new RegExp(`^${name}=3;`));
      expect((await wake({ Host: HOST, "User-Agent": "b" })).status).toBe(502);
      expect((await wake({ Host: HOST, Cookie: `${name}=5`, "User-Agent": "c" })).status).toBe(502);
    });

    it("starts a fresh count for a fresh wake of a sleeping app", async () => {
      h = await startHarness(objs());
      const res = await wake({ Host: HOST, Cookie: "kubenap_r_000000000000=1" });
      expect(res.status).toBe(307);
    });
  });

  it("answers the waiting page's poll with 'waking' while the ingress still sends it here", async () => {
    h = await startHarness(objs({ replicas: 2 }));
    h.ready("n", "web");
    const res = await wake({ Host: HOST, "X-KubeNap-Poll": "1" });
    expect(res.status).toBe(503);
    expect(res.headers["x-kubenap-state"]).toBe("waking");
  });

  it("caps held requests in total (--max-held): one more gets 503 at once", async () => {
    h = await startHarness(objs(), { autoReady: false, limits: { maxHeld: 2, holdLimitMs: 3000 } });
    const heldOnes = [wake({ Host: HOST }), wake({ Host: HOST })];
    // Wait (bounded) until both are held, as the held-requests gauge says.
    const deadline = Date.now() + 5000;
    while (!/kubenap_requests_held 2\n/.test((await send(h.port, { path: "/metrics" })).body)) {
      if (Date.now() > deadline) throw new Error("the two requests were never held");
      await new Promise((r) => setTimeout(r, 20));
    }
    const third = await wake({ Host: HOST });
    expect(third.status).toBe(503);
    expect(third.body).toMatch(/in total/);
    h.ready("n", "web");
    expect((await Promise.all(heldOnes)).map((r) => r.status)).toEqual([307, 307]);
  });

  describe("paths and methods (node:http routing)", () => {
    it.each<[string, string, string, number]>([
      ["explicit path with a trailing slash", "GET", "/wake/n/web/", 307],
      ["explicit path, percent-encoded name", "GET", "/wake/n/w%65b", 307],
      ["absolute-form request target", "GET", `http://${HOST}/wake/n/web`, 307],
      ["/wake with any method", "DELETE", "/wake", 307],
      ["unknown path", "GET", "/nope", 404],
      ["/wake with one segment only", "GET", "/wake/n", 404],
      ["/healthz is read-only", "POST", "/healthz", 404],
      ["malformed percent-encoding", "GET", "/wake/n/%E0%A4%A", 400],
    ])("%s: %s %s → %i", async (_what, method, path, status) => {
      h = await startHarness(objs({ replicas: 0 }));
      const res = await send(h.port, { method, path, headers: { Host: HOST, "X-Original-URI": "/orders" } });
      expect(res.status).toBe(status);
      if (status >= 400) expect(res.headers["content-type"]).toMatch(/problem\+json/);
    });

    it("HEAD /healthz answers 200 without a body", async () => {
      h = await startHarness(objs());
      const res = await send(h.port, { method: "HEAD", path: "/healthz" });
      expect(res.status).toBe(200);
      expect(res.body).toBe("");
    });
  });

  it("/status says ready only while the Deployment is seen scaled up, as the wake path decides", async () => {
    h = await startHarness(objs({ replicas: 0 }));
    h.ready("n", "web"); // slices still list ready endpoints of an app at 0 replicas
    const stale = JSON.parse((await send(h.port, { path: "/status/n/web" })).body) as { ready: boolean };
    expect(stale.ready).toBe(false);
    expect((await wake({ Host: HOST })).status).toBe(307);
    const woken = JSON.parse((await send(h.port, { path: "/status/n/web" })).body) as { ready: boolean };
    expect(woken.ready).toBe(true);
  });

  it("answers 503 + Retry-After, not a stale 404, for an unknown app while a watch is failing", async () => {
    let failing: string | undefined = "deployments";
    h = await startHarness(objs(), { staleWatch: () => failing });
    const during = await send(h.port, { path: "/wake/n/created-during-the-outage" });
    expect(during.status).toBe(503);
    expect(during.headers["retry-after"]).toBe("5");
    expect(during.body).toContain("watch of deployments is failing");
    failing = undefined;
    expect((await send(h.port, { path: "/wake/n/created-during-the-outage" })).status).toBe(404);
  });

  it("serves no /status with --status-endpoint=false", async () => {
    h = await startHarness(objs(), { statusEndpoint: false });
    expect((await send(h.port, { path: "/status/n/web" })).status).toBe(404);
    await h.close();
    h = await startHarness(objs());
    expect((await send(h.port, { path: "/status/n/web" })).status).toBe(200);
  });

  it("closes a connection whose headers are not complete within headersTimeout, below the hold limit", async () => {
    const holdLimitMs = 4000;
    h = await startHarness(objs(), { limits: { holdLimitMs } });
    expect(headersTimeoutFor(holdLimitMs)).toBeLessThan(holdLimitMs);
    const t0 = Date.now();
    const sock: Socket = connect(h.port, "127.0.0.1");
    sock.write("GET /wake HTTP/1.1\r\nHost: app.example\r\n");
    const drip = setInterval(() => sock.write("X-Slow: 1\r\n"), 200);
    let answer = "";
    sock.on("data", (d) => (answer += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const bound = setTimeout(() => reject(new Error("the slow client was not cut off")), holdLimitMs * 2);
      sock.on("close", () => {
        clearTimeout(bound);
        resolve();
      });
      sock.on("error", () => undefined);
    });
    clearInterval(drip);
    expect(Date.now() - t0).toBeLessThan(holdLimitMs);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("closes connections beyond --max-connections", async () => {
    h = await startHarness(objs(), { maxConnections: 2 });
    const port = h.port;
    const open = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<Socket>((resolve) => {
            const s = connect(port, "127.0.0.1", () => resolve(s));
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 100));
    await expect(send(port, { path: "/healthz" })).rejects.toThrow();
    open.forEach((s) => s.destroy());
    await new Promise((r) => setTimeout(r, 100));
    expect((await send(port, { path: "/healthz" })).status).toBe(200);
  });
});
