// `kubenap doctor`: one line per check (RBAC, metrics sources, each app's wiring, clock skew); exit 0
// only when every check passes. Options other than its own are KubeNap's (as for `kubenap run`).
import { hostname } from "node:os";
import { ConfigErrors, loadConfig } from "../config/config.js";
import { appChecks, type WakeRef } from "./doctor/apps.js";
import { formatCheck, type Check } from "./doctor/check.js";
import { clockCheck } from "./doctor/clock.js";
import { optedIn, readNamespace, traefikDeployments } from "./doctor/cluster.js";
import { rbacChecks } from "./doctor/rbac.js";
import { sourceChecks } from "./doctor/sources.js";
import { traefikChecks } from "./doctor/traefik.js";
import { CliError, paint, type CliIO } from "./io.js";
import { kubeConfig } from "./kube.js";
import { USAGES } from "./main.js";

const OWN = ["namespace", "as", "context", "wake-service"] as const;
type Own = Partial<Record<(typeof OWN)[number], string>>;

/** Splits doctor's own flags (--namespace/-n, --as, --context, --wake-service) from KubeNap's options. */
function split(args: string[]): { own: Own; rest: string[] } {
  const own: Own = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(a);
    const name = m?.[1] === "n" ? "namespace" : m?.[1];
    if (m && (OWN as readonly string[]).includes(name ?? "")) {
      const value = m[2] ?? args[++i];
      if (value === undefined || value === "") throw new CliError(`option --${name} needs a value`, 2);
      own[name as keyof Own] = value;
    } else rest.push(a);
  }
  return { own, rest };
}

function wakeRef(text: string | undefined): WakeRef {
  if (!text) return { namespace: "kubenap", name: "kubenap" };
  const m = /^([a-z0-9-]+)\/([a-z0-9-]+)(:\d+)?$/.exec(text);
  if (!m)
    throw new CliError(`--wake-service: expected NAMESPACE/NAME[:PORT], got "${text.slice(0, 100)}"`, 2);
  return { namespace: m[1] ?? "", name: m[2] ?? "" };
}

/** The doctor subcommand. */
export const doctor = {
  get usage(): string {
    return USAGES.doctor ?? "";
  },
  async run(args: string[], io: CliIO): Promise<number> {
    const { own, rest } = split(args);
    let cfg;
    try {
      cfg = loadConfig({ argv: rest, env: io.env, hostname: hostname(), pid: process.pid });
    } catch (err) {
      if (err instanceof ConfigErrors) throw new CliError(err.message.replace(/\n\s*/g, " "), 2);
      throw err;
    }
    const wake = wakeRef(own["wake-service"]);
    const kc = kubeConfig({
      ...(cfg.kubeconfig && { kubeconfig: cfg.kubeconfig }),
      ...(own.context && { context: own.context }),
    });
    const namespaces = own.namespace ? [own.namespace] : cfg.namespaces;
    let failed = 0;
    let total = 0;
    const print = (checks: Check[]): void => {
      for (const c of checks) {
        total++;
        if (!c.ok) failed++;
        io.out(`${formatCheck(io, c)}\n`);
      }
    };
    // First: reachability (an unreachable cluster ends here with one line) and clock skew.
    print([await clockCheck(kc)]);
    const leaseNamespace = cfg.leaderElection
      ? cfg.leaseNamespace || kc.getContextObject(kc.getCurrentContext())?.namespace || "default"
      : undefined;
    print(
      await rbacChecks(kc, {
        ...(own.as && { as: own.as }),
        namespaces,
        ...(leaseNamespace !== undefined && { leaseNamespace }),
        leaseName: cfg.leaseName,
      }),
    );
    const apps = await optedIn(kc, namespaces);
    const byNs = new Map<string, Awaited<ReturnType<typeof readNamespace>>>();
    for (const ns of new Set(apps.map((a) => a.metadata?.namespace ?? "")))
      byNs.set(ns, await readNamespace(kc, ns));
    print(
      await sourceChecks(
        cfg,
        apps,
        [...byNs.values()].flatMap((o) => o.ingresses),
      ),
    );
    print(traefikChecks(await traefikDeployments(kc)));
    if (apps.length === 0)
      print([
        {
          ok: true,
          what: `opted-in apps: none${namespaces.length ? ` in ${namespaces.join(", ")}` : ""} (label kubenap/enabled=true)`,
        },
      ]);
    for (const dep of apps) {
      const objs = byNs.get(dep.metadata?.namespace ?? "");
      if (objs) print(appChecks(dep, objs, cfg, wake));
    }
    const summary =
      failed === 0
        ? paint(io, "green", `all ${total} checks pass`)
        : paint(io, "red", `${failed} of ${total} checks fail`);
    io.out(`${summary}\n`);
    return failed === 0 ? 0 : 1;
  },
};
