// Sablier v1.16.2 (the peer) against the bench's plane. Its Kubernetes provider only knows in-cluster
// config, so it runs in a mount namespace of its own (unshare -m) where a tmpfs on /run holds
// /run/secrets/kubernetes.io/serviceaccount: a TokenRequest token of a ServiceAccount bound to a
// ClusterRole, and the plane's CA; KUBERNETES_SERVICE_HOST/PORT name the API server on 127.0.0.1 (the
// plane's serving certificate covers IP:127.0.0.1). Nothing on the host file system changes.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RbacAuthorizationV1Api, type KubeConfig } from "@kubernetes/client-node";
import { clients } from "../../test/integration/helpers/kube.js";
import { freePort } from "../../test/cluster/ports.js";

const HERE = dirname(fileURLToPath(import.meta.url));

/** A running Sablier. */
export interface Sablier {
  port: number;
  log: string;
  /** Sablier's instance name for a Deployment (kind_namespace_name_replicas). */
  name(namespace: string, deployment: string): string;
  /** True while Sablier holds a session for the instance (its own /metrics, scraped without renewing). */
  hasSession(instance: string): Promise<boolean>;
  stop(): Promise<void>;
}

/** Builds Sablier if needed (idempotent, cached) and returns the binary's path. */
export function sablierBinary(): string {
  const out = execFileSync("bash", [join(HERE, "build-sablier.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 15 * 60_000,
  });
  return out.trim().split("\n").pop() ?? "";
}

function caOf(kc: KubeConfig): string {
  const cluster = kc.getCurrentCluster();
  if (cluster?.caFile) return readFileSync(cluster.caFile, "utf8");
  if (cluster?.caData) return Buffer.from(cluster.caData, "base64").toString("utf8");
  throw new Error("the kubeconfig has no certificate authority for Sablier to trust");
}

/** Starts Sablier with the kubernetes provider and the blocking strategy polling every refreshMs. */
export async function startSablier(namespace: string, refresh: string): Promise<Sablier> {
  const bin = sablierBinary();
  const { core, kc } = clients();
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "sablier" } } });
  const role = `sablier-${namespace}`.slice(0, 63);
  await rbac.createClusterRole({
    body: {
      metadata: { name: role },
      rules: [
        {
          apiGroups: ["apps"],
          resources: ["deployments", "statefulsets", "deployments/scale", "statefulsets/scale"],
          verbs: ["get", "list", "watch", "update", "patch"],
        },
        { apiGroups: [""], resources: ["pods", "events"], verbs: ["get", "list", "watch", "create"] },
      ],
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: role },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role },
      subjects: [{ kind: "ServiceAccount", name: "sablier", namespace }],
    },
  });
  const token = await core.createNamespacedServiceAccountToken({
    namespace,
    name: "sablier",
    body: { spec: { expirationSeconds: 3600, audiences: [] } },
  });
  const sa = mkdtempSync(join(tmpdir(), "kubenap-bench-sablier-"));
  writeFileSync(join(sa, "token"), token.status?.token ?? "");
  writeFileSync(join(sa, "ca.crt"), caOf(kc));
  writeFileSync(join(sa, "namespace"), namespace);
  const api = new URL(kc.getCurrentCluster()?.server ?? "");
  if (api.hostname !== "127.0.0.1") throw new Error(`the API server is at ${api.hostname}, not 127.0.0.1`);
  const port = await freePort();
  const mountDir = "/run/secrets/kubernetes.io/serviceaccount";
  const script = [
    "set -e",
    "mount -t tmpfs kubenap-bench /run",
    `mkdir -p ${mountDir}`,
    `mount --bind "$SA_DIR" ${mountDir}`,
    'exec "$@"',
  ].join("\n");
  const log = join(sa, "sablier.log");
  const out = createWriteStream(log);
  const child: ChildProcess = spawn(
    "setpriv",
    [
      "--pdeathsig",
      "KILL",
      "--",
      "unshare",
      "-m",
      "--propagation",
      "private",
      "sh",
      "-c",
      script,
      "sablier-ns",
      bin,
      "start",
      "--provider.name=kubernetes",
      `--server.port=${port}`,
      "--server.metrics.enabled=true",
      "--provider.auto-stop-on-startup=false",
      `--strategy.blocking.default-refresh-frequency=${refresh}`,
      "--strategy.blocking.default-timeout=60s",
      "--sessions.default-duration=1h",
      "--logging.level=info",
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        SA_DIR: sa,
        KUBERNETES_SERVICE_HOST: api.hostname,
        KUBERNETES_SERVICE_PORT: api.port,
      },
    },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sablier exited: ${readFileSync(log, "utf8").slice(-2000)}`);
    const ok = await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline)
      throw new Error(`sablier not healthy in 30 s: ${readFileSync(log, "utf8").slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    log,
    name: (ns, d) => `deployment_${ns}_${d}_1`,
    async hasSession(instance) {
      const text = await (await fetch(`${base}/metrics`)).text();
      return (
        text.includes(`sablier_session_expires_at_timestamp_seconds{group="",instance="${instance}"}`) ||
        new RegExp(`sablier_session_expires_at_timestamp_seconds\\{[^}]*instance="${instance}"`).test(text)
      );
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(t);
      await rbac.deleteClusterRoleBinding({ name: role }).catch(() => undefined);
      await rbac.deleteClusterRole({ name: role }).catch(() => undefined);
    },
  };
}
