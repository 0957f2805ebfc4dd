import { istioPlugin } from "./istio.js";
import { nginxPlugin } from "./nginx.js";
import { traefikPlugin } from "./traefik.js";
import { ProxyPluginError, type PluginOptions, type ProxyKind, type ProxyPlugin } from "./types.js";

type Factory = () => ProxyPlugin;

/** Every proxy plugin, one line each, alphabetical. */
const PLUGINS = {
  istio: () => istioPlugin,
  nginx: () => nginxPlugin,
  traefik: () => traefikPlugin,
} satisfies Record<ProxyKind, Factory>;

/** The kinds there is a plugin for. */
export const PROXY_KINDS = Object.keys(PLUGINS) as ProxyKind[];

/** The plugin for a kind; an unknown kind is an error that lists the known ones. */
export function proxyPlugin(kind: string): ProxyPlugin {
  if (!Object.hasOwn(PLUGINS, kind)) {
    throw new ProxyPluginError(`unknown proxy "${kind}": available are ${PROXY_KINDS.join(", ")}`);
  }
  return PLUGINS[kind as ProxyKind]();
}

/** Defaults for the choices plugins leave open. */
export const DEFAULT_PLUGIN_OPTIONS: Readonly<PluginOptions> = Object.freeze({
  gateway: { namespace: "traefik", name: "traefik-gateway" },
  istioGatewayNamespace: "istio-system",
  listenPort: 80,
});

export { appServices, pluginTarget, type TargetObjects } from "./target.js";
export { defaultWakeService } from "./wake-request.js";
export type {
  PluginOptions,
  PluginTarget,
  ProxyKind,
  ProxyPlugin,
  RenderedFile,
  WakeService,
} from "./types.js";
export { ProxyPluginError } from "./types.js";
