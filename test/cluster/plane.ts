import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { diesWithParent } from "./dies-with-parent.js";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { request as httpsRequest } from "node:https";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { generatePki, kubeconfigYaml, type Pki } from "./certs.js";
import { freePort } from "./ports.js";

const HERE = dirname(fileURLToPath(import.meta.url));

/** A running control plane: where its kubeconfig and logs are, and how to stop it. */
export interface Plane {
  dir: string;
  kubeconfig: string;
  server: string;
  binDir: string;
  stop(): Promise<void>;
  /** Stops one component (e.g. kube-apiserver) to test outages; startComponent brings it back. */
  stopComponent(name: string): Promise<void>;
  /** Restarts a stopped component with its original arguments and waits until it is healthy. */
  startComponent(name: string): Promise<void>;
}

interface Component {
  name: string;
  args: string[];
  proc: ChildProcess;
  log: string;
  exited: Promise<number | null>;
}

/** Builds (or finds in the cache) the plane's binaries; returns the cache folder. */
export function ensureBinaries(): string {
  const out = execFileSync("bash", [join(HERE, "build-binaries.sh")], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  const dir = out.trim().split("\n").pop() ?? "";
  if (!existsSync(join(dir, "bin", "kube-apiserver"))) {
    throw new Error(`build-binaries.sh did not produce kube-apiserver in ${dir}`);
  }
  return dir;
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

class PlaneStarter {
  private readonly components: Component[] = [];
  readonly logDir: string;

  constructor(
    readonly dir: string,
    readonly binDir: string,
  ) {
    this.logDir = join(dir, "logs");
    mkdirSync(this.logDir, { recursive: true });
  }

  /** Starts a binary that receives SIGKILL if this process dies, so nothing is ever orphaned. */
  start(name: string, args: string[]): Component {
    const log = join(this.logDir, `${name}.log`);
    const out = createWriteStream(log);
    const bin = name === "pod-agent" ? process.execPath : join(this.binDir, name);
    const [cmd = "setpriv", ...rest] = diesWithParent([bin, ...args]);
    const proc = spawn(cmd, rest, {
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc.stdout?.pipe(out);
    proc.stderr?.pipe(out);
    const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
    const c = { name, args, proc, log, exited };
    const i = this.components.findIndex((x) => x.name === name);
    if (i >= 0) this.components[i] = c;
    else this.components.push(c);
    return c;
  }

  /** Polls a health URL until it answers 200; fails fast with the log tail if the process exits. */
  async waitHealthy(c: Component, url: string, pki: Pki | null, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void c.exited.then((code) => (exitCode = code));
    let last = "";
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        throw new Error(`${c.name} exited with code ${exitCode}; log ${c.log}:\n${tail(c.log)}`);
      }
      try {
        const status = await probe(url, pki);
        if (status === 200) return;
        last = `HTTP ${status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
      `${c.name} not healthy at ${url} after ${timeoutMs} ms (${last}); log ${c.log}:\n${tail(c.log)}`,
    );
  }

  async stopAll(): Promise<void> {
    for (const c of [...this.components].reverse()) await this.stopOne(c);
  }

  find(name: string): Component {
    const c = this.components.find((x) => x.name === name);
    if (!c) throw new Error(`no component ${name}`);
    return c;
  }

  async stopOne(c: Component): Promise<void> {
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
    c.proc.kill("SIGTERM");
    const killed = setTimeout(() => c.proc.kill("SIGKILL"), 5_000);
    await c.exited;
    clearTimeout(killed);
  }
}

function probe(url: string, pki: Pki | null): Promise<number> {
  return new Promise((resolve, reject) => {
    const opts = { timeout: 2_000 };
    const req = url.startsWith("https:")
      ? httpsRequest(url, {
          ...opts,
          ...(pki
            ? {
                ca: readFileSync(pki.caCert),
                cert: readFileSync(pki.adminCert),
                key: readFileSync(pki.adminKey),
              }
            : { rejectUnauthorized: false }),
        })
      : httpRequest(url, opts);
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

const NODE_YAML = (name: string): string => `apiVersion: v1
kind: Node
metadata:
  name: ${name}
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: ${name}
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
status:
  allocatable: {cpu: "64", memory: 512Gi, pods: "5000"}
  capacity: {cpu: "64", memory: 512Gi, pods: "5000"}
`;

/** Options for startPlane. */
export interface PlaneOptions {
  nodes?: number;
  dir?: string;
  /**
   * The e2e world (off by default): pods get real addresses and a real app from the pod agent, the node
   * an InternalIP, and kube-proxy gives ClusterIPs their meaning. Refused outside a network namespace
   * of its own, so no packet to a pod or ClusterIP address can leave the machine.
   */
  routable?: boolean;
}

/** The address of "the node" inside the e2e network namespace: pods route to it, it routes to them. */
export const NODE_IP = "169.254.1.1";

/**
 * Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on 127.0.0.1 with free
 * ports, waits until each is healthy, writes a kubeconfig and creates kwok nodes that are Ready.
 */
export async function startPlane(opts: PlaneOptions = {}): Promise<Plane> {
  if (opts.routable) assertNoRouteOut();
  const cache = ensureBinaries();
  const binDir = join(cache, "bin");
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "kubenap-plane-"));
  mkdirSync(dir, { recursive: true });
  const pkiDir = join(dir, "pki");
  mkdirSync(pkiDir, { recursive: true });
  const pki = generatePki(pkiDir);
  const s = new PlaneStarter(dir, binDir);
  const [etcdPort, peerPort, apiPort, kcmPort, schedPort, kwokPort] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  const server = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, kubeconfigYaml(server, pki));
  try {
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcd = s.start("etcd", [
      "--name=default",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      "--unsafe-no-fsync=true",
      "--log-level=warn",
    ]);
    await s.waitHealthy(etcd, `${etcdUrl}/health`, null);

    const api = s.start("kube-apiserver", [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, "apiserver-certs")}`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--client-ca-file=${pki.caCert}`,
      "--authorization-mode=RBAC",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--endpoint-reconciler-type=none",
      "--allow-privileged=true",
      "--profiling=false",
    ]);
    await s.waitHealthy(api, `${server}/readyz`, pki);

    const common = [`--kubeconfig=${kubeconfig}`, "--bind-address=127.0.0.1", "--leader-elect=false"];
    const kcm = s.start("kube-controller-manager", [
      ...common,
      `--secure-port=${kcmPort}`,
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cert-dir=${join(dir, "kcm-certs")}`,
      // kwok's node heartbeat is slower than the default 50 s grace, after which every pod turns NotReady
      // for good; an hour keeps long-lived tests, demos and benchmarks honest.
      "--node-monitor-grace-period=1h",
    ]);
    const sched = s.start("kube-scheduler", [
      ...common,
      `--secure-port=${schedPort}`,
      `--cert-dir=${join(dir, "scheduler-certs")}`,
    ]);
    const stageDir = join(cache, "stages");
    // pod-ready comes from this repo: kwok's fast stage plus a per-pod delay annotation.
    const stages = ["node-initialize", "node-heartbeat-with-lease", "pod-complete", "pod-delete"].map((st) =>
      join(stageDir, `${st}.yaml`),
    );
    // In the e2e world the pod agent makes pods ready once their app listens, as a readiness probe would.
    if (!opts.routable) stages.push(join(HERE, "stages", "pod-ready.yaml"));
    const kwok = s.start("kwok", [
      `--kubeconfig=${kubeconfig}`,
      "--manage-all-nodes=true",
      // Room for many pods (the default /24 gives a node 254 pod IPs); these addresses route nowhere.
      "--cidr=10.0.0.1/16",
      `--server-address=127.0.0.1:${kwokPort}`,
      ...(opts.routable ? [`--node-ip=${NODE_IP}`] : []),
      ...stages.map((st) => `--config=${st}`),
    ]);
    await Promise.all([
      s.waitHealthy(kcm, `https://127.0.0.1:${kcmPort}/healthz`, null),
      s.waitHealthy(sched, `https://127.0.0.1:${schedPort}/healthz`, null),
      s.waitHealthy(kwok, `http://127.0.0.1:${kwokPort}/healthz`, null),
    ]);

    const kubectl = join(binDir, "kubectl");
    const nodes = Array.from({ length: opts.nodes ?? 1 }, (_, i) => `kwok-node-${i}`);
    for (const n of nodes) {
      execFileSync(kubectl, ["--kubeconfig", kubeconfig, "apply", "-f", "-"], { input: NODE_YAML(n) });
    }
    execFileSync(
      kubectl,
      [
        "--kubeconfig",
        kubeconfig,
        "wait",
        "--for=condition=Ready",
        "--timeout=60s",
        ...nodes.map((n) => `node/${n}`),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    // Pods need the default ServiceAccount; wait for kube-controller-manager to create it.
    execFileSync(
      kubectl,
      [
        "--kubeconfig",
        kubeconfig,
        "wait",
        "--for=create",
        "--timeout=60s",
        "-n",
        "default",
        "serviceaccount/default",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    if (opts.routable) await startRoutable(s, kubeconfig, nodes);
  } catch (err) {
    await s.stopAll();
    const msg = err instanceof Error ? err.message : String(err);
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`control plane failed to start (logs in ${s.logDir}): ${msg}\n${stderr}`, { cause: err });
  }
  const stop = async (): Promise<void> => {
    await s.stopAll();
    // Keep the logs for post-mortems; drop etcd's data, which is most of the disk.
    rmSync(join(dir, "etcd"), { recursive: true, force: true });
  };
  const health: Record<string, string> = {
    "kube-apiserver": `${server}/readyz`,
    etcd: `http://127.0.0.1:${etcdPort}/health`,
  };
  return {
    dir,
    kubeconfig,
    server,
    binDir,
    stop,
    stopComponent: (name) => s.stopOne(s.find(name)),
    startComponent: async (name) => {
      const c = s.start(name, s.find(name).args);
      const url = health[name];
      if (url) await s.waitHealthy(c, url, pki);
    },
  };
}

/** Throws unless this process's network namespace has no default route (nothing can leave the machine). */
function assertNoRouteOut(): void {
  const routes = ["-4", "-6"]
    .map((family) => execFileSync("ip", [family, "route", "show", "default"], { encoding: "utf8" }).trim())
    .filter(Boolean);
  if (routes.length > 0) {
    throw new Error(
      `the routable (e2e) plane must run inside a network namespace with no route out (ip netns exec), so that traffic to pod and ClusterIP addresses cannot leave the machine; found: ${routes.join("; ")}`,
    );
  }
}

/** Starts the pod agent (one per node) and kube-proxy, and waits for both to be working. */
async function startRoutable(s: PlaneStarter, kubeconfig: string, nodes: string[]): Promise<void> {
  const agentLog = join(s.logDir, "pod-agent.log");
  const agent = s.start("pod-agent", [
    "--import",
    "tsx",
    join(HERE, "pod-agent.ts"),
    `--kubeconfig=${kubeconfig}`,
    `--nodes=${nodes.join(",")}`,
    `--app=${join(HERE, "pod-app.js")}`,
  ]);
  const [proxyPort, metricsPort] = await Promise.all([freePort(), freePort()]);
  const proxy = s.start("kube-proxy", [
    `--kubeconfig=${kubeconfig}`,
    "--proxy-mode=nftables",
    `--hostname-override=${nodes[0] ?? "kwok-node-0"}`,
    "--cluster-cidr=10.0.0.0/16",
    `--bind-address=${NODE_IP}`,
    `--healthz-bind-address=127.0.0.1:${proxyPort}`,
    `--metrics-bind-address=127.0.0.1:${metricsPort}`,
    // The sandbox forbids the conntrack sysctls; zero means "leave them alone".
    "--conntrack-max-per-core=0",
    "--conntrack-min=0",
    "--conntrack-tcp-timeout-established=0",
    "--conntrack-tcp-timeout-close-wait=0",
  ]);
  await Promise.all([
    s.waitHealthy(proxy, `http://127.0.0.1:${proxyPort}/healthz`, null),
    waitForLine(agent, agentLog, "pod agent ready"),
  ]);
}

/** Resolves once a component's log has a line containing text; fails fast if it exits. */
async function waitForLine(c: Component, log: string, text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void c.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${c.name} exited with code ${exitCode}:\n${tail(log)}`);
    if (existsSync(log) && readFileSync(log, "utf8").includes(text)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${c.name} did not log "${text}" within ${timeoutMs} ms:\n${tail(log)}`);
}
