import type { V1Deployment, V1Ingress } from "@kubernetes/client-node";
import { parsePolicy } from "../../annotations/policy.js";
import { ConfigErrors, type Config } from "../../config/config.js";
import {
  MetricsSourceError,
  sourceTargetOf,
  targetKey,
  type SourceTarget,
} from "../../metrics-sources/types.js";
import { cliSources, deadline, policyDefaults } from "../config.js";
import { fail, firstLine, pass, type Check } from "./check.js";

/** How long one source may take to answer. */
export const SOURCE_DEADLINE_MS = 5_000;

/** The SourceTarget the monitor would ask about for a Deployment, or undefined if its annotations are invalid. */
export function sourceTarget(
  dep: V1Deployment,
  cfg: Readonly<Config>,
): (SourceTarget & { source: string }) | undefined {
  const { defaults, sourceKinds } = policyDefaults(cfg);
  const r = parsePolicy(dep.metadata?.annotations, defaults, sourceKinds);
  if (!r.ok) return undefined;
  return { source: r.policy.metricsSource, ...sourceTargetOf(dep, r.policy) };
}

/**
 * Each configured source (as `kubenap run` builds them) asked about the opted-in apps that use it (or,
 * when none does, about any opted-in app): ✓ when it answers for at least one.
 */
export async function sourceChecks(
  cfg: Readonly<Config>,
  apps: V1Deployment[],
  ingresses: V1Ingress[],
): Promise<Check[]> {
  const kinds = [...new Set([cfg.metricsSource, ...cfg.metricsSources])];
  if (kinds.length === 1 && kinds[0] === "none")
    return [pass("metrics source: none configured (KubeNap never puts an app to sleep without one)")];
  let sources;
  try {
    sources = cliSources(cfg, ingresses);
  } catch (err) {
    const problems =
      err instanceof ConfigErrors ? err.problems.map((p) => p.message).join("; ") : firstLine(err);
    return [
      fail("metrics source configuration", problems, "correct these options (kubenap run --help lists them)"),
    ];
  }
  const targets = apps.map((d) => sourceTarget(d, cfg)).filter((t) => t !== undefined);
  const out: Check[] = [];
  for (const [kind, source] of sources) {
    const what = `metrics source ${kind}`;
    if (kind === "none") {
      out.push(pass(`${what}: apps using it never sleep`));
      continue;
    }
    const own = targets.filter((t) => t.source === kind);
    const asked = (own.length > 0 ? own : targets).slice(0, 20);
    if (asked.length === 0) {
      out.push(pass(`${what}: not asked (no opted-in app to ask about)`));
      continue;
    }
    try {
      const answer = await deadline(source.lastActivity(asked), SOURCE_DEADLINE_MS);
      const results = asked.map((t) => answer.get(targetKey(t)));
      const ok = results.filter((r) => r !== undefined && !(r instanceof MetricsSourceError)).length;
      const error = results.find((r): r is MetricsSourceError => r instanceof MetricsSourceError);
      out.push(
        ok > 0
          ? pass(`${what} answers (${ok} of ${asked.length} apps asked)`)
          : fail(
              what,
              error ? firstLine(error) : "no answer for any app asked",
              `check the ${kind} options (kubenap run --help) and that it is reachable from here`,
            ),
      );
    } catch (err) {
      out.push(
        fail(
          what,
          firstLine(err),
          `check the ${kind} options (kubenap run --help) and that it is reachable from here`,
        ),
      );
    } finally {
      const closable = source as unknown as { close?: () => unknown };
      if (typeof closable.close === "function")
        await Promise.resolve(closable.close()).catch(() => undefined);
    }
  }
  return out;
}
