import type { V1Deployment } from "@kubernetes/client-node";
import { pass, fail, type Check } from "./check.js";

/** Traefik providers whose empty Services must answer 503 (so the errors middleware runs), not 404. */
const PROVIDERS = ["kubernetesingress", "kubernetescrd", "kubernetesgateway"];

/** `--providers.X.allowEmptyServices[=true]` among the args, or undefined. */
function flag(args: string[], provider: string): boolean | undefined {
  const key = `--providers.${provider}.allowemptyservices`;
  for (let i = 0; i < args.length; i++) {
    const [k = "", v] = (args[i] ?? "").split("=", 2);
    if (k.toLowerCase() !== key) continue;
    const value = v ?? (args[i + 1] === "true" || args[i + 1] === "false" ? args[i + 1] : "true");
    return value === "true";
  }
  return undefined;
}

/**
 * allowEmptyServices on every Traefik provider its Deployment enables (kubernetesingress when its args
 * name none): without it a sleeping app's empty Service gives 404 and no errors middleware runs.
 */
export function traefikChecks(deployments: V1Deployment[] | undefined): Check[] {
  if (deployments === undefined)
    return [pass("Traefik allowEmptyServices: not checked (cannot list Deployments)")];
  if (deployments.length === 0)
    return [pass("Traefik allowEmptyServices: not checked (no Traefik Deployment found)")];
  return deployments.map((d) => {
    const what = `Traefik ${d.metadata?.namespace ?? ""}/${d.metadata?.name ?? ""} allowEmptyServices`;
    const c = (d.spec?.template?.spec?.containers ?? []).find((x) => /traefik/.test(x.image ?? ""));
    const args = [...(c?.command ?? []), ...(c?.args ?? [])];
    const enabled = PROVIDERS.filter((p) => args.some((a) => a.toLowerCase().startsWith(`--providers.${p}`)));
    const wanted = enabled.length > 0 ? enabled : ["kubernetesingress"];
    const missing = wanted.filter((p) => flag(args, p) !== true);
    if (missing.length === 0) return pass(what);
    return fail(
      what,
      `not set for ${missing.join(", ")}: a sleeping app's empty Service answers 404 and the errors middleware never runs`,
      `add ${missing.map((p) => `--providers.${p}.allowEmptyServices=true`).join(" ")} to its args (or a static config file as in examples/traefik/traefik-static.yaml)`,
    );
  });
}
