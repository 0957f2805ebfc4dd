// The demo's two sample apps and how Traefik routes to them: the same objects in the local world and
// in a real cluster (--kubeconfig). The errors Middleware comes from KubeNap's traefik plugin.
import type { V1Deployment, V1Service } from "@kubernetes/client-node";
import { parse } from "yaml";
import { KEYS } from "../src/annotations/keys.js";
import {
  DEFAULT_PLUGIN_OPTIONS,
  pluginTarget,
  proxyPlugin,
  type WakeService,
} from "../src/proxy-plugins/index.js";

/** Namespace of the sample apps. */
export const DEMO_NAMESPACE = "kubenap-demo";
/** Idle time before the monitor puts a sample app to sleep. */
export const DEMO_IDLE_AFTER = "30s";

/** One sample app: its name, the path it is served under on the entry port, and its host. */
export interface DemoApp {
  name: string;
  path: string;
  host: string;
}

/** The two sample apps. */
export const DEMO_APPS: readonly DemoApp[] = ["blog", "shop"].map((name) => ({
  name,
  path: `/${name}/`,
  host: `${name}.localtest.me`,
}));

/** The curl that wakes an app through the entry port (-L follows KubeNap's 307 back to the app). */
export const curlCommand = (app: DemoApp, port: number): string =>
  `curl -L http://127.0.0.1:${port}${app.path}`;

/** The opted-in Deployment of an app (the image matters only in a real cluster). */
export function deployment(app: DemoApp, image: string): V1Deployment {
  const labels = { app: app.name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: app.name,
      namespace: DEMO_NAMESPACE,
      labels: { [KEYS.enabled.key]: "true" },
      annotations: { [KEYS.idleAfter.key]: DEMO_IDLE_AFTER, [KEYS.proxy.key]: "traefik" },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: app.name,
              image,
              ports: [{ name: "http", containerPort: 80 }],
              readinessProbe: { httpGet: { path: "/health", port: "http" }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

/** The Service in front of an app. */
export function service(app: DemoApp): V1Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: app.name, namespace: DEMO_NAMESPACE },
    spec: { selector: { app: app.name }, ports: [{ name: "http", port: 80, targetPort: "http" }] },
  };
}

/** The errors Middleware KubeNap's traefik plugin renders for the app. */
export function middleware(app: DemoApp, wake: WakeService, image: string): Record<string, unknown> {
  const target = pluginTarget({
    deployment: deployment(app, image),
    services: [service(app)],
    hosts: [app.host],
  });
  const file = proxyPlugin("traefik")
    .render(target, wake, DEFAULT_PLUGIN_OPTIONS)
    .find((f) => f.name === "middleware.yaml");
  if (!file) throw new Error("the traefik plugin rendered no middleware.yaml");
  return parse(file.content) as Record<string, unknown>;
}

/**
 * An IngressRoute through the Middleware: the app's host, or its path on any host, so that
 * `curl http://127.0.0.1:PORT/<app>/` works without DNS.
 */
export function ingressRoute(app: DemoApp, middlewareName: string): Record<string, unknown> {
  const bare = app.path.replace(/\/$/, "");
  return {
    apiVersion: "traefik.io/v1alpha1",
    kind: "IngressRoute",
    metadata: { name: app.name, namespace: DEMO_NAMESPACE },
    spec: {
      entryPoints: ["web"],
      routes: [
        {
          kind: "Rule",
          match: `Host(\`${app.host}\`) || Path(\`${bare}\`) || PathPrefix(\`${app.path}\`)`,
          middlewares: [{ name: middlewareName }],
          services: [{ name: app.name, port: 80 }],
        },
      ],
    },
  };
}

/** Every object of the sample apps: Deployment, Service, Middleware, IngressRoute per app. */
export function appObjects(wake: WakeService, image: string): object[] {
  return DEMO_APPS.flatMap((app): object[] => {
    const mw = middleware(app, wake, image);
    const name = (mw.metadata as { name: string }).name;
    return [deployment(app, image), service(app), mw, ingressRoute(app, name)];
  });
}
