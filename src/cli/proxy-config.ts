import { CoreV1Api, NetworkingV1Api, type V1Ingress } from "@kubernetes/client-node";
import { KEYS } from "../annotations/keys.js";
import {
  appServices,
  DEFAULT_PLUGIN_OPTIONS,
  defaultWakeService,
  pluginTarget,
  proxyPlugin,
  ProxyPluginError,
  type RenderedFile,
} from "../proxy-plugins/index.js";
import { appRef, KUBE_FLAGS, parse } from "./args.js";
import { CliError, type CliIO } from "./io.js";
import { apiError, client, kubeConfig, readApp } from "./kube.js";
import { USAGES } from "./main.js";

const KINDS = ["nginx", "traefik", "istio", "gateway"] as const;
type Kind = (typeof KINDS)[number];

/** Which plugin renders a kind, and which of its files belong to it. */
const PLAN: Record<Kind, { plugin: string; files?: (f: RenderedFile) => boolean }> = {
  nginx: { plugin: "nginx" },
  traefik: { plugin: "traefik", files: (f) => f.name !== "httproute.yaml" },
  istio: { plugin: "istio" },
  gateway: { plugin: "traefik", files: (f) => f.name === "middleware.yaml" || f.name === "httproute.yaml" },
};

export const proxyConfig = {
  usage: USAGES["proxy-config"] ?? "",
  async run(args: string[], io: CliIO): Promise<number> {
    const flags = { ...KUBE_FLAGS, host: { type: "string", multiple: true } } as const;
    const { values, positionals } = parse(args, flags, {
      min: 2,
      max: 2,
      names: "<kind> <namespace>/<name>",
    });
    const kind = positionals[0] as Kind;
    if (!KINDS.includes(kind))
      throw new CliError(
        `unknown proxy "${(positionals[0] ?? "").slice(0, 40)}"; one of ${KINDS.join(", ")}`,
        2,
      );
    const ref = appRef(positionals[1]);
    const kc = kubeConfig(values);
    const deployment = await readApp(kc, ref);
    let services, ingresses: V1Ingress[];
    try {
      services = (await client(kc, CoreV1Api).listNamespacedService({ namespace: ref.namespace })).items;
      ingresses = (await client(kc, NetworkingV1Api).listNamespacedIngress({ namespace: ref.namespace }))
        .items;
    } catch (err) {
      throw apiError(err, kc, `list the Services and Ingresses of ${ref.namespace}`);
    }
    // Hosts: --host, else kubenap/ingress's (read by pluginTarget), else every Ingress routing to the app.
    const named = deployment.metadata?.annotations?.[KEYS.ingress.key];
    const svcNames = new Set(appServices(deployment, services).map((s) => s.metadata?.name));
    const routed = ingresses
      .filter((i) =>
        (i.spec?.rules ?? []).some((r) =>
          (r.http?.paths ?? []).some((p) => svcNames.has(p.backend.service?.name)),
        ),
      )
      .flatMap((i) => (i.spec?.rules ?? []).flatMap((r) => (r.host ? [r.host] : [])));
    const hosts = values.host ?? (named ? undefined : routed.length > 0 ? [...new Set(routed)] : undefined);
    let files: RenderedFile[];
    try {
      const target = pluginTarget({ deployment, services, ingresses, ...(hosts && { hosts }) });
      files = proxyPlugin(PLAN[kind].plugin).render(target, defaultWakeService(), DEFAULT_PLUGIN_OPTIONS);
    } catch (err) {
      if (err instanceof ProxyPluginError)
        throw new CliError(`${err.message}${hosts ? "" : " (or pass --host)"}`);
      throw err;
    }
    for (const f of files.filter(PLAN[kind].files ?? (() => true)))
      io.out(
        `# ---- ${f.name}: ${f.description}\n${f.content.endsWith("\n") ? f.content : `${f.content}\n`}`,
      );
    return 0;
  },
};
