// What every plugin tells KubeNap, in one place: the explicit wake path and the headers the proxy sets.
import type { PluginTarget, WakeService } from "./types.js";

/** The explicit wake path: no header-based lookup needed. */
export const wakePath = (t: PluginTarget): string =>
  `/wake/${encodeURIComponent(t.namespace)}/${encodeURIComponent(t.deployment)}`;

/**
 * Headers KubeNap reads that a client could forge. The proxy sets the ones it knows and clears the
 * others, so a client can never steer a redirect. (X-KubeNap-Poll is passed on: the waiting page sends it.)
 */
export const CLIENT_WAKE_HEADERS = [
  "X-Original-URI",
  "X-Forwarded-Uri",
  "X-Forwarded-Host",
  "X-Forwarded-Proto",
  "X-Forwarded-For",
  "X-Scheme",
  "X-Code",
  "X-Namespace",
  "X-Service-Name",
  "X-Ingress-Name",
] as const;

/** The Service's cluster DNS name. */
export const serviceDns = (namespace: string, name: string): string =>
  `${name}.${namespace}.svc.cluster.local`;

/** Default wake service: deploy/'s kubenap Service (port 80 → the wake port). */
export function defaultWakeService(): WakeService {
  return {
    namespace: "kubenap",
    name: "kubenap",
    port: 80,
    url: `http://${serviceDns("kubenap", "kubenap")}`,
  };
}

/** DNS-safe object name for one app's generated objects. */
export const objectName = (t: PluginTarget): string =>
  `kubenap-wake-${t.deployment}`.slice(0, 63).replace(/-+$/, "");
