// The e2e world's network namespace: no route out of it at all, so traffic to pod and ClusterIP
// addresses cannot leave the machine. Everything that talks to those addresses runs inside it.
import { execFileSync } from "node:child_process";
import { diesWithParent } from "./dies-with-parent.js";
import { NODE_IP } from "./plane.js";

/** Where KubeNap listens inside the namespace; the kubenap Service's EndpointSlice points here. */
export const KUBENAP_HOST_IP = "10.1.0.1";
/** The test plane's Service range (kube-apiserver --service-cluster-ip-range). */
export const SERVICE_CIDR = "10.96.0.0/16";

const ip = (...args: string[]): void => {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
};

/**
 * Creates the namespace: loopback up, and a veth pair whose only job is to hold the node address and a
 * route for the Service range (kube-proxy rewrites ClusterIPs after routing chose a device; the dummy
 * link type is not available here). Pod routes are added by the pod agent.
 */
export function createNetns(name: string): void {
  ip("netns", "add", name);
  try {
    ip("-n", name, "link", "set", "lo", "up");
    ip("-n", name, "link", "add", "kn-svc0", "type", "veth", "peer", "name", "kn-svc1");
    ip("-n", name, "link", "set", "kn-svc0", "up");
    ip("-n", name, "link", "set", "kn-svc1", "up");
    ip("-n", name, "addr", "add", `${NODE_IP}/32`, "dev", "kn-svc0");
    ip("-n", name, "addr", "add", `${KUBENAP_HOST_IP}/32`, "dev", "kn-svc0");
    ip("-n", name, "route", "add", SERVICE_CIDR, "dev", "kn-svc0", "src", NODE_IP);
  } catch (err) {
    deleteNetns(name);
    throw err;
  }
}

/** Deletes the namespace (its devices go with it). */
export function deleteNetns(name: string): void {
  try {
    ip("netns", "del", name);
  } catch {
    // already gone
  }
}

/** argv that runs a command inside the namespace and kills it when its parent (us) dies. */
export function inNetns(name: string, argv: string[]): string[] {
  return diesWithParent(["ip", "netns", "exec", name, ...argv]);
}

/**
 * Of the given namespace names, those a run made (`<prefix><pid>…`: the e2e world's `kubenap-e2e-<pid>`,
 * the demo's `kubenap-demo-<pid>`, the pod agent's `knp<pid>-<n>`) whose process is gone.
 */
export function staleNetns(
  names: readonly string[],
  prefixes: readonly string[],
  isAlive: (pid: number) => boolean = alive,
): string[] {
  return names.filter((name) => {
    const prefix = prefixes.find((p) => name.startsWith(p));
    if (!prefix) return false;
    const pid = Number(/^\d+/.exec(name.slice(prefix.length))?.[0] ?? "NaN");
    return Number.isInteger(pid) && !isAlive(pid);
  });
}

/** Namespace names (`ip netns list`); empty when it cannot be listed. */
export function netnsNames(): string[] {
  try {
    return execFileSync("ip", ["netns", "list"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .split("\n")
      .map((l) => l.split(" ")[0] ?? "")
      .filter(Boolean);
  } catch {
    return [];
  }
}

/** Deletes namespaces left by runs that died without cleaning up; returns their names. */
export function deleteStaleNetns(prefixes: readonly string[]): string[] {
  const stale = staleNetns(netnsNames(), prefixes);
  for (const name of stale) deleteNetns(name);
  return stale;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
