// A proxy plugin renders, for one app, the ingress-side configuration that sends the ingress's error
// for a sleeping app to KubeNap's wake handler, with the wake headers set by the proxy itself.

/** The ingresses KubeNap has a plugin for (also the values of kubenap/proxy). */
export type ProxyKind = "istio" | "nginx" | "traefik";

/** One app, as the ingress sees it. Built from its Deployment, Service and Ingress by target.ts. */
export interface PluginTarget {
  namespace: string;
  deployment: string;
  service: string;
  servicePort: number;
  /** Hosts clients use; the first is used where one is needed. */
  hosts: string[];
  /** What clients speak to the ingress, so redirects keep it. */
  scheme: "http" | "https";
  /** host:port for proxies that address the app themselves (plain NGINX, Envoy). */
  upstream: string;
}

/** Where KubeNap's wake handler is. */
export interface WakeService {
  namespace: string;
  name: string;
  port: number;
  /** Base URL for proxies that address it themselves (plain NGINX, Envoy). */
  url: string;
}

/** Choices a plugin's output depends on beyond the app itself. */
export interface PluginOptions {
  /** Gateway API parent of the HTTPRoute (traefik). */
  gateway: { namespace: string; name: string };
  /** Namespace of the Istio ingress gateway, where its EnvoyFilter must live (istio). */
  istioGatewayNamespace: string;
  /** Port plain NGINX listens on (nginx). */
  listenPort: number;
}

/** One file of a plugin's output. */
export interface RenderedFile {
  /** File name, e.g. middleware.yaml. */
  name: string;
  /** What the file is for, one line (README and comments). */
  description: string;
  content: string;
}

/** The interface every ingress plugin implements. */
export interface ProxyPlugin {
  readonly kind: ProxyKind;
  render(target: PluginTarget, wake: WakeService, options: PluginOptions): RenderedFile[];
}

/** Bad input to a plugin: unknown kind, or objects that do not describe a routable app. */
export class ProxyPluginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProxyPluginError";
  }
}
