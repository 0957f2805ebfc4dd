// The local demo: the e2e world (a control plane with kube-proxy and a pod agent, inside a network
// namespace of its own with no route out), the sample apps, Traefik configured by the traefik plugin,
// Prometheus scraping Traefik, and `kubenap run` (dist/cli.js) with the Prometheus source. One host
// loopback port is forwarded to Traefik's entry point, so the apps answer on 127.0.0.1 outside.
import { join } from "node:path";
import { createInterface } from "node:readline";
import { stringify } from "yaml";
import { defaultWakeService } from "../src/proxy-plugins/index.js";
import { startBridge } from "../test/cluster/bridge.js";
import { KUBENAP_HOST_IP } from "../test/cluster/netns.js";
import { kubectlApply } from "../test/e2e/helpers/apps.js";
import {
  PROMETHEUS_PORT,
  TRAEFIK_API,
  TRAEFIK_WEB,
  startPrometheus,
  startTraefik,
} from "../test/e2e/helpers/proxies.js";
import { NetnsProcess, artifacts } from "../test/e2e/helpers/world.js";
import { WAKE_PORT, startWorld } from "../test/e2e/world.js";
import { DEMO_APPS, DEMO_NAMESPACE, appObjects } from "./apps.js";
import { elapsed, say } from "./progress.js";
import type { Stopper } from "./stopper.js";

/** A running local demo. */
export interface LocalDemo {
  /** Host loopback port forwarded to Traefik. */
  port: number;
  /** Kubeconfig for this process (outside the namespace, through the API bridge). */
  kubeconfig: string;
  netns: string;
  /** Where the plane's logs and the other processes' logs are. */
  logs: string[];
}

/** Waits until `url` answers 200 (bounded). */
async function waitOk(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/**
 * Starts the whole local demo; `onKubenapLine` gets each line KubeNap logs. Each part is registered
 * with `stopper` as soon as it runs, so a signal during start-up stops what is there.
 */
export async function startLocalDemo(
  root: string,
  port: number,
  onKubenapLine: (line: string) => void,
  stopper: Stopper,
): Promise<LocalDemo> {
  const stops = {
    push: (s: { name: string; stop: () => Promise<void> }): void => stopper.add(s.name, s.stop),
  };
  const step = async <T>(title: string, f: () => Promise<T>): Promise<T> => {
    if (stopper.stopping) throw new Error("stopped during start-up");
    say(`▸ ${title}`);
    const t0 = Date.now();
    const v = await f();
    say(`  ✓ ${elapsed(Date.now() - t0)}`);
    return v;
  };
  {
    const world = await step(
      "control plane, kube-proxy and pod agent in a network namespace with no route out",
      () => startWorld({ netnsPrefix: "kubenap-demo-" }),
    );
    stops.push({ name: "the cluster", stop: () => world.stop() });
    const env = world.env;
    // The e2e helpers find the world through these variables.
    Object.assign(process.env, env, { KUBENAP_TEST_KUBECONFIG: env.KUBENAP_E2E_KUBECONFIG });
    say(`  network namespace ${env.KUBENAP_E2E_NETNS}; plane logs in ${env.KUBENAP_E2E_DIR}/logs`);

    await step(
      `sample apps ${DEMO_APPS.map((a) => a.name).join(", ")} (kubenap/idleAfter: 30s) and their Traefik routes`,
      () =>
        kubectlApply(
          "demo-apps",
          [
            { apiVersion: "v1", kind: "Namespace", metadata: { name: DEMO_NAMESPACE } },
            ...appObjects(defaultWakeService(), "traefik/whoami:v1.10"),
          ]
            .map((o) => stringify(o))
            .join("---\n"),
        ),
    );
    const prometheus = await step("Prometheus scraping Traefik's metrics every second", () =>
      startPrometheus("demo", { traefik: `127.0.0.1:${TRAEFIK_API}` }),
    );
    stops.push({ name: "Prometheus", stop: () => prometheus.stop() });

    const kubenap = await step("KubeNap (kubenap run, Prometheus source, traefik preset)", async () => {
      const p = new NetnsProcess(
        "kubenap",
        [
          process.execPath,
          join(root, "dist", "cli.js"),
          "run",
          "--kubeconfig",
          env.KUBENAP_E2E_INNER_KUBECONFIG,
          "--namespaces",
          DEMO_NAMESPACE,
          "--lease-namespace",
          DEMO_NAMESPACE,
          "--wake-address",
          KUBENAP_HOST_IP,
          "--wake-port",
          String(WAKE_PORT),
          "--metrics-source",
          "prometheus",
          "--prometheus-url",
          `http://127.0.0.1:${PROMETHEUS_PORT}`,
          "--prometheus-preset",
          "traefik",
          "--prometheus-scrape-interval",
          "1s",
          "--proxy",
          "traefik",
          "--sweep-interval",
          "2s",
          "--shutdown-delay",
          "0s",
          "--log-format",
          "json",
          // The monitor's verdict on each app ("stays awake", with the last traffic) is a debug line.
          "--log-level",
          "debug",
        ],
        join(artifacts("demo"), "kubenap.log"),
        // A clean environment, so that nothing of this shell reads as an option.
        { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/root" },
      );
      stops.push({ name: "KubeNap", stop: () => p.stop() });
      if (p.child.stderr) createInterface({ input: p.child.stderr }).on("line", onKubenapLine);
      await p.waitLine((l) => l.includes("informers synced"), 60_000);
      return p;
    });
    void kubenap;

    const traefik = await step(
      "Traefik 3.7 (allowEmptyServices; the errors Middleware from the traefik plugin)",
      () => startTraefik("demo"),
    );
    stops.push({ name: "Traefik", stop: () => traefik.stop() });

    const bridge = await step(`forwarding 127.0.0.1:${port} to Traefik's entry point in the namespace`, () =>
      startBridge(env.KUBENAP_E2E_NETNS, TRAEFIK_WEB, join(env.KUBENAP_E2E_DIR, "traefik-web.sock"), port),
    );
    stops.push({ name: "the port forward", stop: () => bridge.close() });

    await step("waiting until each app answers through that port", () =>
      Promise.all(DEMO_APPS.map((a) => waitOk(`http://127.0.0.1:${bridge.port}${a.path}`, 60_000))),
    );
    return {
      port: bridge.port,
      kubeconfig: env.KUBENAP_E2E_KUBECONFIG,
      netns: env.KUBENAP_E2E_NETNS,
      logs: [`${env.KUBENAP_E2E_DIR}/logs`, artifacts()],
    };
  }
}
