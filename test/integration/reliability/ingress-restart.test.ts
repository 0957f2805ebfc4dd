// Reliability (issue 12, 5): the ingress (Debian's real NGINX, configured from the nginx plugin's
// output) restarted while an app is asleep; the next request still wakes it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Runtime } from "../../../src/main.js";
import { proxyPlugin } from "../../../src/proxy-plugins/index.js";
import { freePort } from "../../cluster/ports.js";
import { diesWithParent } from "../../cluster/dies-with-parent.js";
import { nginxMainConf } from "../../e2e/helpers/nginx-conf.js";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import {
  clients,
  createApp,
  createIngress,
  freshNamespace,
  httpGet,
  readyEndpoints,
} from "../helpers/kube.js";
import type { LocalServer } from "../helpers/ingress.js";
import { startKubenap } from "../helpers/runtime.js";
import { ManualSource } from "../helpers/sources.js";
import { DeploymentWatch } from "./helpers/deployments.js";

const HOST = "web.rel.example";

/** Debian's NGINX in the foreground on 127.0.0.1:port with the plugin's server block. */
class Nginx {
  private child: ChildProcess | undefined;
  constructor(
    private readonly dir: string,
    readonly port: number,
  ) {}

  async start(): Promise<void> {
    const [cmd = "setpriv", ...args] = diesWithParent([
      "nginx",
      "-c",
      join(this.dir, "nginx.conf"),
      "-p",
      this.dir,
    ]);
    const child = spawn(cmd, args, { stdio: "ignore" });
    this.child = child;
    const deadline = Date.now() + 10_000;
    // Bounded: NGINX listens within milliseconds; fail fast if it exits.
    while (!(await connects(this.port))) {
      if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}; see ${this.dir}`);
      if (Date.now() > deadline) throw new Error(`nginx not listening on ${this.port} within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill(signal);
    await exited;
  }
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: "127.0.0.1", port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

describe("the ingress restarted while an app is asleep", () => {
  let kubenap: Runtime | undefined;
  let nginx: Nginx | undefined;
  let app: LocalServer | undefined;
  let watch: DeploymentWatch | undefined;
  afterAll(async () => {
    watch?.stop();
    await nginx?.kill();
    await app?.close();
    await kubenap?.stop();
  });

  it("the next request through it still wakes the app (twice: SIGKILL, then a graceful restart)", async () => {
    const ns = await freshNamespace("ingress-restart");
    await createApp(ns, "web", {
      replicas: 0,
      labels: { "kubenap/enabled": "true" },
      annotations: { "kubenap/state": "asleep", "kubenap/replicaCount": "1", "kubenap/ingress": "web" },
    });
    await createIngress(ns, "web", HOST, "web");
    watch = await DeploymentWatch.start(ns);
    kubenap = await startKubenap(ns, new ManualSource(), [
      "--settle-delay",
      "100ms",
      "--sweep-interval",
      "1h",
    ]);

    // The app on 127.0.0.1 (pod IPs are never contacted): it serves while its Service has a ready
    // endpoint and is "gone" (503, which NGINX hands to KubeNap) otherwise.
    const server = createServer((_req, res) => {
      void readyEndpoints(ns, "web").then(
        (n) =>
          n > 0
            ? res.writeHead(200, { "content-type": "text/plain" }).end("hello from the app\n")
            : res.writeHead(503).end("no endpoints\n"),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address();
    const appPort = typeof addr === "object" && addr ? addr.port : 0;
    app = {
      port: appPort,
      close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
    };

    const port = await freePort();
    const files = proxyPlugin("nginx").render(
      {
        namespace: ns,
        deployment: "web",
        service: "web",
        servicePort: 80,
        hosts: [HOST],
        scheme: "http",
        upstream: `127.0.0.1:${appPort}`,
      },
      { namespace: "kubenap", name: "kubenap", port: 80, url: `http://127.0.0.1:${kubenap.wakePort ?? 0}` },
      {
        gateway: { namespace: "default", name: "gw" },
        istioGatewayNamespace: "istio-system",
        listenPort: port,
      },
    );
    const dir = mkdtempSync(join(tmpdir(), "kubenap-nginx-"));
    mkdirSync(join(dir, "tmp"));
    const conf = files.find((f) => f.name.endsWith(".conf"));
    writeFileSync(
      join(dir, "app.conf"),
      conf?.content.replace(/listen (\d+);/, "listen 127.0.0.1:$1;") ?? "",
    );
    writeFileSync(join(dir, "nginx.conf"), nginxMainConf(dir, `${dir}/app.conf`, 64));
    const ngx = new Nginx(dir, port);
    nginx = ngx;
    await ngx.start();

    /** A client through NGINX that follows KubeNap's redirect once, as curl -L would. */
    const visit = async (path: string): Promise<string[]> => {
      const first = await httpGet(port, path, { Host: HOST });
      const trail = [`${first.status}`];
      if (first.status !== 307) return trail;
      const to = new URL(String(first.headers.location));
      expect(to.host).toBe(HOST);
      const second = await httpGet(port, `${to.pathname}${to.search}`, { Host: HOST });
      trail.push(`${second.status} ${second.body.trim()}`);
      return trail;
    };

    // 1. NGINX dies (SIGKILL) and comes back while the app sleeps.
    await ngx.kill();
    await ngx.start();
    expect(await visit("/after-kill?x=1")).toEqual(["307", "200 hello from the app"]);

    // 2. Asleep again (as the monitor leaves it), and NGINX restarted once more.
    await kubenapSleep(ns);
    await watch.until("web", (d) => d.spec?.replicas === 0, 10_000);
    // Wait until the endpoint is gone, so the request really finds the app asleep.
    const deadline = Date.now() + 20_000;
    while ((await readyEndpoints(ns, "web")) > 0) {
      if (Date.now() > deadline) throw new Error("the endpoint did not go away within 20 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    await ngx.kill("SIGQUIT"); // graceful shutdown
    await ngx.start();
    expect(await visit("/after-restart")).toEqual(["307", "200 hello from the app"]);
    // Two wakes, each exactly one scale-up.
    expect(watch.replicas.get("web")).toEqual([0, 1, 0, 1]);
  }, 90_000);
});

/** Puts the app to sleep as the monitor does: replicas 0 with its annotations, in one update. */
async function kubenapSleep(ns: string): Promise<void> {
  await clients().apps.patchNamespacedDeployment(
    {
      name: "web",
      namespace: ns,
      body: { metadata: { annotations: { "kubenap/state": "asleep" } }, spec: { replicas: 0 } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}
