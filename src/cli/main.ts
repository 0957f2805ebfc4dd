import { CliError, type CliIO } from "./io.js";
import { RUN_USAGE } from "./run-usage.js";

/** One subcommand: its usage (with an example) and what it does; resolves to the exit code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CliIO): Promise<number>;
}

const COMMON = `Cluster flags: --kubeconfig FILE (else KUBECONFIG, ~/.kube/config, in-cluster), --context NAME`;

/** Every subcommand, in the order `kubenap help` lists them. */
export function commands(): Command[] {
  return [
    {
      name: "run",
      summary: "run the deployment monitor and the wake handler",
      usage: RUN_USAGE,
      // Loaded on use: the runtime (the Kubernetes client above all) is most of a start-up's time.
      run: async (args) => (await import("./run.js")).run(args),
    },
    ...lazy([
      ["status", "a table of opted-in apps: state, replicas, last activity, sleep countdown", "./status.js"],
      ["sleep", "put an app to sleep now, as the monitor does", "./sleep-wake.js"],
      ["wake", "wake an app and wait until it is ready, as the wake handler does", "./sleep-wake.js"],
      ["pin", "keep an app awake until a time (kubenap/awakeUntil)", "./pin.js"],
      ["unpin", "remove an app's pin", "./pin.js"],
      [
        "proxy-config",
        "print an ingress's configuration for one app (nginx, traefik, istio, gateway)",
        "./proxy-config.js",
      ],
      ["doctor", "check RBAC, metrics sources, each app's wiring and clock skew", "./doctor.js"],
      ["version", "print KubeNap's version", "./version.js"],
    ]),
  ];
}

type Module = Record<string, { usage: string; run(args: string[], io: CliIO): Promise<number> }>;

/** Subcommands load their module on use, so `kubenap run` starts without the others. */
function lazy(list: [string, string, string][]): Command[] {
  return list.map(([name, summary, path]) => ({
    name,
    summary,
    get usage(): string {
      return USAGES[name] ?? "";
    },
    run: async (args, io) => {
      const mod = (await import(path)) as Module;
      const cmd = mod[camel(name)];
      if (!cmd) throw new Error(`module ${path} has no ${camel(name)} command`);
      if (args.includes("--help") || args.includes("-h")) {
        io.out(cmd.usage);
        return 0;
      }
      return cmd.run(args, io);
    },
  }));
}

const camel = (s: string): string => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Usage texts of the lazy subcommands (kept here so `kubenap help` needs no module loads). */
export const USAGES: Record<string, string> = {
  status: `kubenap status [--namespace NS] [--output table|json|yaml] [--watch] [--config FILE]

Every opted-in Deployment (label kubenap/enabled=true): state, replicas now / to restore, last
activity (asked of the app's metrics source, configured as for kubenap run: --config or KUBENAP_*
variables), when it sleeps (or when it woke), source and proxy. --watch redraws on every change.

Example:
  kubenap status --namespace shop --output json
${COMMON}
`,
  sleep: `kubenap sleep <namespace>/<name>

Scales the app to 0 now, recording the replicas to restore, in the same update the monitor makes.

Example:
  kubenap sleep shop/web
${COMMON}
`,
  wake: `kubenap wake <namespace>/<name> [--timeout 2m]

Restores kubenap/replicaCount (as the wake handler does), waits for a ready endpoint of the app's
Service (watching, not polling), records the wake and prints how long it took.

Example:
  kubenap wake shop/web
${COMMON}
`,
  pin: `kubenap pin <namespace>/<name> --for DURATION

Keeps the app awake until now + DURATION (annotation kubenap/awakeUntil, honoured by the monitor).

Example:
  kubenap pin shop/web --for 2h
${COMMON}
`,
  unpin: `kubenap unpin <namespace>/<name>

Removes kubenap/awakeUntil: the app sleeps again once idle.

Example:
  kubenap unpin shop/web
${COMMON}
`,
  "proxy-config": `kubenap proxy-config <nginx|traefik|istio|gateway> <namespace>/<name> [--wake-service NS/NAME:PORT]

Prints what the proxy plugin renders for the app, read from the cluster (its Deployment, Service and
Ingress): NGINX error_page, Traefik Middleware + Ingress/IngressRoute, Istio EnvoyFilter, or the
Gateway API HTTPRoute with Traefik's errors Middleware.

Example:
  kubenap proxy-config traefik shop/web > traefik.yaml
${COMMON}
`,
  doctor: `kubenap doctor [--namespace NS] [--config FILE] [--as USER] [--wake-service NS/NAME[:PORT]]

One line per check, ✓ or ✗ with the fix: RBAC for every verb KubeNap uses (--as: for another user,
e.g. system:serviceaccount:kubenap:kubenap; needs create on subjectaccessreviews), each configured metrics
source, each app's wiring (Service, Ingress, error fallback, HPA, GitOps owner of spec.replicas),
clock skew against the API server. Exit code 0 only when every check passes.

Example:
  kubenap doctor --namespace shop
${COMMON}
`,
  version: `kubenap version

Example:
  kubenap version
`,
};

/** `kubenap help`: the subcommands, then run's options and the annotations. */
export function usage(): string {
  const list = commands()
    .map((c) => `  kubenap ${c.name.padEnd(13)} ${c.summary}`)
    .join("\n");
  return `kubenap — puts idle Deployments to sleep and wakes them on the first request

Usage:
${list}
  kubenap help          this text; kubenap <command> --help for one command, with an example

${RUN_USAGE}`;
}

/** Dispatches argv; every failure becomes one line on stderr and an exit code. */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "help" || cmd === "--help" || cmd === "-h") {
    io.out(usage());
    return 0;
  }
  const command = commands().find((c) => c.name === cmd);
  if (!command) {
    io.err(`kubenap: unknown command "${cmd.slice(0, 40)}"; see kubenap help\n`);
    return 2;
  }
  if (cmd === "run" && (rest.includes("--help") || rest.includes("-h"))) {
    io.out(RUN_USAGE);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`kubenap ${cmd}: ${err.message}\n`);
      return err.code;
    }
    io.err(`kubenap ${cmd}: ${(err as Error).message?.split("\n")[0] ?? String(err)}\n`);
    return 1;
  }
}
