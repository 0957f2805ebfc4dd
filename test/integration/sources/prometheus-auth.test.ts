import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/config/config.js";
import { createLogger } from "../../../src/log.js";
import { createSources } from "../../../src/metrics-sources/index.js";
import { MetricsSourceError, type SourceTarget } from "../../../src/metrics-sources/types.js";
import { systemClock } from "../../../src/clock.js";
import { generatePki } from "../../cluster/certs.js";
import { Exporter, Prometheus } from "./helpers/prometheus.js";

const PASSWORD = "kubenap-test-password";
// bcrypt of PASSWORD (cost 4), as Prometheus's web config wants it.
const HASH = "$2b$04$7hXZYH2YQi3JZZAjDE5yC.mBtfu7aOionciKqHqhXDJzobm2Xr93a";
const TOKEN = "kubenap-test-token";
const target: SourceTarget = { namespace: "auth", name: "app", idleAfterMs: 60_000 };

describe("the Prometheus source's authentication and TLS, against a real Prometheus", () => {
  const dir = mkdtempSync(join(tmpdir(), "kubenap-prom-auth-"));
  const pki = generatePki(dir);
  const exporter = new Exporter();
  let prom: Prometheus;
  let bearerProxy: Server;
  let bearerPort = 0;

  /** The source as configuration builds it, asked once about the app. */
  const ask = async (argv: string[], env: Record<string, string> = {}) => {
    const config = loadConfig({
      argv: ["--metrics-source", "prometheus", ...argv],
      env,
      hostname: "h",
      pid: 1,
    });
    const sources = createSources({
      config,
      clock: systemClock,
      logger: createLogger({ format: "json", level: "error" }),
      ingresses: { list: () => [] },
    });
    return (await sources.get("prometheus")?.lastActivity([target]))?.get("auth/app");
  };

  beforeAll(async () => {
    await exporter.start();
    exporter.set("app", "http_requests_total", { namespace: "auth", service: "app" }, 1);
    prom = new Prometheus(exporter.port, 1_000, {
      certFile: pki.servingCert,
      keyFile: pki.servingKey,
      users: { kubenap: HASH },
    });
    await prom.start([
      { job: "app", targets: [{ path: "app", labels: { namespace: "auth", service: "app" } }] },
    ]);
    await exporter.scraped("app", 2);
    exporter.inc("app", "http_requests_total", { namespace: "auth", service: "app" }, 5);
    await exporter.scraped("app", 2);
    // An auth proxy in front of Prometheus that wants a bearer token (as kube-rbac-proxy or
    // oauth2-proxy would), and itself talks TLS and basic auth to Prometheus.
    bearerProxy = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return void res.writeHead(401).end("no\n");
      const up = httpsRequest(
        {
          host: "127.0.0.1",
          port: prom.port,
          path: req.url,
          method: req.method,
          ca: readFileSync(pki.caCert),
          headers: {
            ...req.headers,
            authorization: `Basic ${Buffer.from(`kubenap:${PASSWORD}`).toString("base64")}`,
          },
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on("error", () => res.writeHead(502).end());
      req.pipe(up);
    });
    await new Promise<void>((r) => bearerProxy.listen(0, "127.0.0.1", r));
    const a = bearerProxy.address();
    bearerPort = typeof a === "object" && a ? a.port : 0;
  });
  afterAll(async () => {
    bearerProxy?.closeAllConnections();
    await new Promise((r) => bearerProxy?.close(r));
    await prom?.destroy();
    await exporter.close();
  });

  it("reads over https with the CA file and basic auth from a password file", async () => {
    const pw = join(dir, "password");
    writeFileSync(pw, `${PASSWORD}\n`);
    const r = await ask([
      "--prometheus-url",
      `https://127.0.0.1:${prom.port}`,
      "--prometheus-ca-file",
      pki.caCert,
      "--prometheus-username",
      "kubenap",
      "--prometheus-password-file",
      pw,
      "--prometheus-scrape-interval",
      "1s",
    ]);
    expect(r).toMatchObject({ kind: "seen" });
  });

  it("sees a request made after the last whole step of a long scrape interval (30s) at once", async () => {
    exporter.inc("app", "http_requests_total", { namespace: "auth", service: "app" }, 1);
    const sent = Date.now();
    await exporter.scraped("app", 1);
    const r = await ask(
      ["--prometheus-url", `https://127.0.0.1:${prom.port}`, "--prometheus-ca-file", pki.caCert],
      { KUBENAP_PROMETHEUS_USERNAME: "kubenap", KUBENAP_PROMETHEUS_PASSWORD: PASSWORD },
    );
    expect(r).toMatchObject({ kind: "seen" });
    const at = (r as { at: Date }).at.getTime();
    expect(at).toBeGreaterThanOrEqual(sent - 50);
    expect(at).toBeLessThanOrEqual(sent + 1_000 + 50);
  });

  it("takes the password from the environment, and a wrong one is unknown with Prometheus's 401", async () => {
    const flags = ["--prometheus-url", `https://127.0.0.1:${prom.port}`, "--prometheus-ca-file", pki.caCert];
    const ok = await ask([...flags, "--prometheus-username", "kubenap"], {
      KUBENAP_PROMETHEUS_PASSWORD: PASSWORD,
    });
    expect(ok).toMatchObject({ kind: "seen" });
    const bad = await ask([...flags, "--prometheus-username", "kubenap"], {
      KUBENAP_PROMETHEUS_PASSWORD: "nope",
    });
    expect(bad).toBeInstanceOf(MetricsSourceError);
    expect((bad as MetricsSourceError).message).toMatch(/HTTP 401/);
    expect((bad as MetricsSourceError).message).not.toContain("nope");
  });

  it("refuses a server certificate it cannot verify without the CA file", async () => {
    const r = await ask(
      ["--prometheus-url", `https://127.0.0.1:${prom.port}`, "--prometheus-username", "kubenap"],
      {
        KUBENAP_PROMETHEUS_PASSWORD: PASSWORD,
      },
    );
    expect(r).toBeInstanceOf(MetricsSourceError);
    expect((r as MetricsSourceError).message).toMatch(/did not answer: .*certificate/);
  });

  it("sends a bearer token from a file, re-read on every query", async () => {
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, `${TOKEN}\n`);
    const flags = [
      "--prometheus-url",
      `http://127.0.0.1:${bearerPort}`,
      "--prometheus-bearer-token-file",
      tokenFile,
    ];
    expect(await ask(flags)).toMatchObject({ kind: "seen" });
    writeFileSync(tokenFile, "rotated-away\n");
    const r = await ask(flags);
    expect(r).toBeInstanceOf(MetricsSourceError);
    expect((r as MetricsSourceError).message).toContain("HTTP 401");
  });
});
