// The e2e world, started once per jest run (global-setup.js): a network namespace with no route out,
// the routable control plane inside it (pod agent, kube-proxy), the third-party CRDs, and the kubenap
// Service whose endpoint is where each test file's KubeNap process listens. The jest process stays
// outside and reaches only the API server, through a bridge.
import { execFileSync, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startBridge, type Bridge } from "../cluster/bridge.js";
import { launchSupervisor } from "../cluster/launch.js";
import { createNetns, deleteNetns, deleteStaleNetns, inNetns, KUBENAP_HOST_IP } from "../cluster/netns.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
/** Port of each test file's KubeNap process, on KUBENAP_HOST_IP inside the namespace. */
export const WAKE_PORT = 8080;

/** What tests read from the environment (set by global-setup.js). */
export interface WorldEnv {
  KUBENAP_E2E_NETNS: string;
  /** For the jest process: the API server through the bridge. */
  KUBENAP_E2E_KUBECONFIG: string;
  /** For processes inside the namespace. */
  KUBENAP_E2E_INNER_KUBECONFIG: string;
  KUBENAP_E2E_BIN: string;
  KUBENAP_E2E_PROXIES: string;
  KUBENAP_E2E_DIR: string;
}

/** A running world. */
export interface World {
  env: WorldEnv;
  stop(): Promise<void>;
}

function sharedCrds(): string {
  const dir = process.env.KUBENAP_SHARED_CRDS ?? join(ROOT, "..", "shared", "crds");
  try {
    readdirSync(dir);
  } catch {
    throw new Error(`third-party CRDs not found in ${dir} (set KUBENAP_SHARED_CRDS)`);
  }
  return dir;
}

/** Prefixes of the namespaces worlds make (`<prefix><pid>`), and the pod agent's (`knp<pid>-<n>`). */
export const NETNS_PREFIXES = ["kubenap-e2e-", "kubenap-demo-", "knp"];

/** Starts everything; on failure, removes what it made. `netnsPrefix`: the demo names its own. */
export async function startWorld(opts: { netnsPrefix?: string } = {}): Promise<World> {
  if (process.getuid?.() !== 0) {
    throw new Error("the e2e world needs root (it creates network namespaces); run as root or skip test/e2e");
  }
  const proxies = execFileSync("bash", [join(HERE, "install-proxies.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  })
    .trim()
    .split("\n")
    .pop()!;
  const netns = `${opts.netnsPrefix ?? "kubenap-e2e-"}${process.pid}`;
  deleteStaleNetns(NETNS_PREFIXES);
  deleteNetns(netns);
  createNetns(netns);
  let child: ChildProcess | undefined;
  let bridge: Bridge | undefined;
  const stop = async (): Promise<void> => {
    await bridge?.close();
    // A supervisor killed by a signal has signalCode set and exitCode null: its exit event is past.
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once("exit", r));
      child.stdin?.end();
      await exited;
    }
    deleteNetns(netns);
  };
  try {
    const launched = await launchSupervisor(["--routable"], false, inNetns(netns, []));
    child = launched.child;
    const { info } = launched;
    const apiPort = Number(new URL(info.server).port);
    bridge = await startBridge(netns, apiPort, join(info.dir, "api.sock"));
    const outer = join(info.dir, "kubeconfig-outside");
    writeFileSync(
      outer,
      readFileSync(info.kubeconfig, "utf8").replace(info.server, `https://127.0.0.1:${bridge.port}`),
    );
    // Inside the namespace (a synchronous call here would block the bridge, which lives in this process).
    const kubectl = (args: string[], input?: string): void => {
      const argv = inNetns(netns, [join(info.binDir, "kubectl"), "--kubeconfig", info.kubeconfig, ...args]);
      execFileSync(argv[0] ?? "setpriv", argv.slice(1), { input, stdio: ["pipe", "ignore", "pipe"] });
    };
    const crds = sharedCrds();
    const gateway = readdirSync(proxies).find((d) => d.startsWith("gateway-api-"));
    const files = [
      join(crds, "traefik-crds.yaml"),
      join(crds, "istio-networking-crds.yaml"),
      ...readdirSync(join(proxies, gateway ?? "missing"))
        .filter((f) => f.startsWith("gateway.networking.k8s.io_") && !f.includes("vap_"))
        .map((f) => join(proxies, gateway ?? "", f)),
    ];
    kubectl(["apply", "--server-side", ...files.flatMap((f) => ["-f", f])]);
    kubectl(["wait", "--for=condition=Established", "--timeout=60s", "crd", "--all"]);
    kubectl(["apply", "-f", "-"], kubenapService());
    return {
      env: {
        KUBENAP_E2E_NETNS: netns,
        KUBENAP_E2E_KUBECONFIG: outer,
        KUBENAP_E2E_INNER_KUBECONFIG: info.kubeconfig,
        KUBENAP_E2E_BIN: info.binDir,
        KUBENAP_E2E_PROXIES: proxies,
        KUBENAP_E2E_DIR: info.dir,
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The kubenap Service as installed by deploy/, with its endpoint where tests run KubeNap. */
function kubenapService(): string {
  return `apiVersion: v1
kind: Namespace
metadata: {name: kubenap}
---
apiVersion: v1
kind: Service
metadata: {name: kubenap, namespace: kubenap}
spec:
  ports: [{name: wake, port: 80, targetPort: ${WAKE_PORT}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubenap-e2e
  namespace: kubenap
  labels: {kubernetes.io/service-name: kubenap, endpointslice.kubernetes.io/managed-by: e2e.kubenap.test}
addressType: IPv4
ports: [{name: wake, port: ${WAKE_PORT}, protocol: TCP}]
endpoints: [{addresses: ["${KUBENAP_HOST_IP}"], conditions: {ready: true}}]
`;
}
