import {
  AppsV1Api,
  NetworkingV1Api,
  Watch,
  type KubeConfig,
  type V1Deployment,
} from "@kubernetes/client-node";
import { stringify } from "yaml";
import { KEYS } from "../annotations/keys.js";
import type { Config } from "../config/config.js";
import { formatDuration } from "../duration.js";
import {
  sourceTargetOf,
  targetKey,
  type ActivityResult,
  type SourceTarget,
} from "../metrics-sources/types.js";
import { parseLenient } from "../wake/lenient-policy.js";
import { KUBE_FLAGS, parse } from "./args.js";
import { cliSources, deadline, policyDefaults, runConfig } from "./config.js";
import { CliError, paint, type CliIO } from "./io.js";
import { apiError, client, kubeConfig } from "./kube.js";
import { USAGES } from "./main.js";

/** One row of `kubenap status`. */
export interface AppStatus {
  app: string;
  state: "awake" | "asleep" | "waking";
  replicas: number;
  restore: number;
  /** ISO time of the last traffic the source saw; "none" (none in its window); "unknown: …"; "-" without a source. */
  lastActivity: string;
  /** When the monitor may put it to sleep (ISO), or why not ("pinned until …", "never while unknown"). */
  sleepsAt?: string;
  sleptAt?: string;
  wokeAt?: string;
  awakeUntil?: string;
  source: string;
  proxy: string;
  problems?: string[];
}

const FLAGS = {
  ...KUBE_FLAGS,
  namespace: { type: "string", short: "n" },
  output: { type: "string", short: "o", default: "table" },
  watch: { type: "boolean", short: "w" },
  config: { type: "string" },
} as const;

export const status = {
  usage: USAGES.status ?? "",
  async run(args: string[], io: CliIO): Promise<number> {
    const { values } = parse(args, FLAGS, { min: 0, max: 0, names: "" });
    const output = values.output ?? "table";
    if (!["table", "json", "yaml"].includes(output))
      throw new CliError(`--output expects table, json or yaml, got "${output.slice(0, 20)}"`, 2);
    const kc = kubeConfig(values);
    const cfg = runConfig(values.config, io.env);
    const show = async (): Promise<void> => {
      const rows = await collect(kc, cfg, values.namespace);
      io.out(render(rows, output, io));
    };
    if (!values.watch) {
      await show();
      return 0;
    }
    return watchLoop(kc, values.namespace, io, show);
  },
};

/** Every opted-in app with its source's answer. */
export async function collect(
  kc: KubeConfig,
  cfg: Readonly<Config>,
  namespace?: string,
): Promise<AppStatus[]> {
  const apps = client(kc, AppsV1Api);
  const labelSelector = `${KEYS.enabled.key}=true`;
  let deps: V1Deployment[];
  try {
    deps = (
      namespace
        ? await apps.listNamespacedDeployment({ namespace, labelSelector })
        : await apps.listDeploymentForAllNamespaces({ labelSelector })
    ).items;
  } catch (err) {
    throw apiError(err, kc, `list the opted-in Deployments${namespace ? ` of ${namespace}` : ""}`);
  }
  const { defaults, sourceKinds } = policyDefaults(cfg);
  const parsed = deps.map((d) => ({
    dep: d,
    ...parseLenient(d.metadata?.annotations, defaults, sourceKinds),
  }));
  const activity = await activityOf(
    kc,
    cfg,
    parsed.map((p) => ({ dep: p.dep, policy: p.policy })),
  );
  const now = Date.now();
  return parsed
    .map(({ dep, policy, problems }) => {
      const key = `${dep.metadata?.namespace}/${dep.metadata?.name}`;
      const replicas = dep.spec?.replicas ?? 1;
      const state =
        replicas === 0
          ? "asleep"
          : policy.state === "asleep" || (dep.status?.availableReplicas ?? 0) === 0
            ? "waking"
            : "awake";
      const a = activity.get(key);
      const lastActivity =
        a === undefined
          ? "-"
          : a instanceof Error
            ? `unknown: ${a.message.slice(0, 120)}`
            : a.kind === "seen"
              ? a.at.toISOString()
              : "none";
      const created = dep.metadata?.creationTimestamp
        ? new Date(dep.metadata.creationTimestamp).getTime()
        : 0;
      const since = Math.max(
        created,
        policy.wokeAt?.getTime() ?? 0,
        a && !(a instanceof Error) && a.kind === "seen" ? a.at.getTime() : 0,
      );
      const pinned = policy.awakeUntil && policy.awakeUntil.getTime() > now ? policy.awakeUntil : undefined;
      const sleepsAt =
        replicas === 0
          ? undefined
          : a instanceof Error || a === undefined
            ? "never while unknown"
            : new Date(Math.max(since + policy.idleAfterMs, pinned?.getTime() ?? 0)).toISOString();
      return {
        app: key,
        state,
        replicas,
        restore: policy.replicaCount ?? Math.max(1, replicas),
        lastActivity,
        ...(sleepsAt && { sleepsAt }),
        ...(policy.sleptAt && { sleptAt: policy.sleptAt.toISOString() }),
        ...(policy.wokeAt && { wokeAt: policy.wokeAt.toISOString() }),
        ...(pinned && { awakeUntil: pinned.toISOString() }),
        source: policy.metricsSource,
        proxy: policy.proxy,
        ...(problems.length > 0 && {
          problems: problems.map((p) => `${p.key}="${p.value}": expected ${p.accepted}`),
        }),
      } satisfies AppStatus;
    })
    .sort((x, y) => x.app.localeCompare(y.app));
}

/** One batched call per configured source, as a sweep makes; a failing source reads as unknown. */
async function activityOf(
  kc: KubeConfig,
  cfg: Readonly<Config>,
  apps: { dep: V1Deployment; policy: ReturnType<typeof parseLenient>["policy"] }[],
): Promise<Map<string, ActivityResult>> {
  const out = new Map<string, ActivityResult>();
  const wanted = new Set(apps.map((a) => a.policy.metricsSource).filter((k) => k !== "none"));
  if (wanted.size === 0) return out;
  let ingresses: import("@kubernetes/client-node").V1Ingress[] = [];
  try {
    ingresses = (await client(kc, NetworkingV1Api).listIngressForAllNamespaces()).items;
  } catch {
    // The presets that map hosts to apps answer unknown without them; the table says so.
  }
  let sources;
  try {
    sources = cliSources(cfg, ingresses);
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  await Promise.all(
    [...wanted].map(async (kind) => {
      const targets: SourceTarget[] = apps
        .filter((a) => a.policy.metricsSource === kind)
        .map(({ dep, policy }) => sourceTargetOf(dep, policy));
      const source = sources.get(kind);
      if (!source) {
        for (const t of targets)
          out.set(targetKey(t), new Error(`source ${kind} is not configured`) as never);
        return;
      }
      try {
        const answers = await deadline(source.lastActivity(targets), cfg.sourceTimeoutMs);
        for (const [k, v] of answers) out.set(k, v);
      } catch (err) {
        for (const t of targets) out.set(targetKey(t), err as never);
      }
    }),
  );
  return out;
}

/** The rows as a table (relative times), JSON or YAML. */
export function render(rows: AppStatus[], output: string, io: CliIO, now = Date.now()): string {
  if (output === "json") return `${JSON.stringify(rows, null, 2)}\n`;
  if (output === "yaml") return stringify(rows);
  if (rows.length === 0) return "no opted-in Deployments (label kubenap/enabled=true)\n";
  const ago = (iso: string): string => `${formatDuration(Math.max(0, now - Date.parse(iso)))} ago`;
  const header = ["APP", "STATE", "REPLICAS", "LAST ACTIVITY", "SLEEPS IN / WOKE", "SOURCE", "PROXY"];
  const table = rows.map((r) => [
    r.app,
    r.state,
    `${r.replicas}/${r.restore}`,
    /^\d{4}-/.test(r.lastActivity) ? ago(r.lastActivity) : r.lastActivity.slice(0, 40),
    r.state === "asleep"
      ? r.sleptAt
        ? `asleep for ${formatDuration(Math.max(0, now - Date.parse(r.sleptAt)))}`
        : "asleep"
      : r.awakeUntil
        ? `pinned until ${r.awakeUntil.slice(11, 16)}Z`
        : r.sleepsAt && /^\d{4}-/.test(r.sleepsAt)
          ? `${Date.parse(r.sleepsAt) <= now ? "next sweep" : `in ${formatDuration(Date.parse(r.sleepsAt) - now)}`}${r.wokeAt ? ` (woke ${ago(r.wokeAt)})` : ""}`
          : (r.sleepsAt ?? "-"),
    r.source,
    r.proxy,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const colour = (state: string, text: string): string =>
    paint(io, state === "awake" ? "green" : state === "asleep" ? "dim" : "yellow", text);
  return `${line(header)}\n${table.map((row) => colour(row[1] ?? "", line(row))).join("\n")}\n`;
}

/** Redraws on every Deployment event (debounced) until SIGINT/SIGTERM. */
async function watchLoop(
  kc: KubeConfig,
  namespace: string | undefined,
  io: CliIO,
  show: () => Promise<void>,
): Promise<number> {
  const path = namespace ? `/apis/apps/v1/namespaces/${namespace}/deployments` : "/apis/apps/v1/deployments";
  let pending: NodeJS.Timeout | undefined;
  let drawing = Promise.resolve();
  const redraw = (): void => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      drawing = drawing.then(async () => {
        if (io.isTTY) io.out("\u001b[2J\u001b[H");
        await show().catch((err: unknown) => io.err(`${(err as Error).message}\n`));
      });
    }, 200);
  };
  redraw();
  const every = setInterval(redraw, 5_000); // countdowns move without events
  return new Promise<number>((resolve) => {
    let controller: AbortController | undefined;
    const stop = (): void => {
      clearInterval(every);
      if (pending) clearTimeout(pending);
      controller?.abort();
      resolve(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const start = (): void => {
      new Watch(kc)
        .watch(
          path,
          { labelSelector: `${KEYS.enabled.key}=true` },
          () => redraw(),
          () => setTimeout(start, 1_000).unref(),
        )
        .then((c) => (controller = c))
        .catch(() => setTimeout(start, 1_000).unref());
    };
    start();
  });
}
