import { AppsV1Api, KubeConfig, type V1Deployment } from "@kubernetes/client-node";
import { KEYS } from "../annotations/keys.js";
import { makeClient } from "../k8s/clients.js";
import { CliError } from "./io.js";

/** Deadline of each API call a command makes. */
export const CLI_API_TIMEOUT_MS = 10_000;

/** The kubeconfig from --kubeconfig (else KUBECONFIG, else ~/.kube/config, else in-cluster), --context. */
export function kubeConfig(values: { kubeconfig?: string; context?: string }): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (values.kubeconfig) kc.loadFromFile(values.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new CliError(
      `cannot load the kubeconfig${values.kubeconfig ? ` ${values.kubeconfig}` : ""}: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  if (values.context) {
    if (!kc.getContexts().some((c) => c.name === values.context))
      throw new CliError(`no context "${values.context}" in the kubeconfig`);
    kc.setCurrentContext(values.context);
  }
  if (!kc.getCurrentCluster()) throw new CliError("the kubeconfig names no cluster (use --kubeconfig)");
  return kc;
}

/** An API client with the CLI's deadline. */
export const client = <T>(kc: KubeConfig, type: Parameters<typeof makeClient<T>>[1]): T =>
  makeClient(kc, type, CLI_API_TIMEOUT_MS);

/** One line for an API failure: unreachable, forbidden (RBAC), not found, or the API's own message. */
export function apiError(err: unknown, kc: KubeConfig, what: string): CliError {
  const e = err as { code?: number; body?: unknown; message?: string; cause?: { code?: string } };
  const server = kc.getCurrentCluster()?.server ?? "the cluster";
  const body = typeof e.body === "string" ? safeJson(e.body) : (e.body as { message?: string } | undefined);
  if (e.code === 403) return new CliError(`forbidden to ${what}: ${body?.message ?? "check your RBAC"}`);
  if (e.code === 404) return new CliError(`cannot ${what}: not found`);
  if (e.code === 401)
    return new CliError(`cannot ${what}: unauthorized at ${server} (check the kubeconfig's credentials)`);
  if (typeof e.code === "number") return new CliError(`cannot ${what}: ${body?.message ?? `HTTP ${e.code}`}`);
  const cause =
    e.cause?.code ??
    /\b(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EHOSTUNREACH)\b/.exec(e.message ?? "")?.[1];
  if (cause || e.message?.includes("aborted"))
    return new CliError(`cannot reach the cluster at ${server} (${cause ?? "timed out"}) to ${what}`);
  return new CliError(`cannot ${what}: ${(e.message ?? String(err)).split("\n")[0]}`);
}

function safeJson(s: string): { message?: string } | undefined {
  try {
    return JSON.parse(s) as { message?: string };
  } catch {
    return undefined;
  }
}

/** The opted-in Deployment, or a one-line error naming what is wrong. */
export async function readApp(
  kc: KubeConfig,
  ref: { namespace: string; name: string },
): Promise<V1Deployment> {
  let dep: V1Deployment;
  try {
    dep = await client(kc, AppsV1Api).readNamespacedDeployment(ref);
  } catch (err) {
    const e = apiError(err, kc, `read deployment ${ref.namespace}/${ref.name}`);
    if ((err as { code?: number }).code === 404)
      throw new CliError(`no deployment ${ref.namespace}/${ref.name}`);
    throw e;
  }
  if (dep.metadata?.labels?.[KEYS.enabled.key] !== "true")
    throw new CliError(
      `deployment ${ref.namespace}/${ref.name} is not opted in to KubeNap (label ${KEYS.enabled.key}="true")`,
    );
  return dep;
}
