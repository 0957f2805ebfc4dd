import { serviceOf, type SourceTarget } from "../types.js";
import { alternation, quote } from "./promql.js";

/** The query shapes KubeNap knows: where each ingress (or the app itself) counts requests. */
export const PRESET_NAMES = ["app", "ingress-nginx", "istio", "traefik"] as const;
/** One of PRESET_NAMES. */
export type PresetName = (typeof PRESET_NAMES)[number];

/** How one preset finds the request counters of many targets in one grouped query. */
export interface Preset {
  /** The counter, e.g. `http_requests_total`. */
  metric: string;
  /** Labels the query groups by. */
  by: readonly string[];
  /** Label matchers selecting the counters of these targets (a superset is fine). */
  matchers(targets: readonly SourceTarget[]): string;
  /** The targets one result group (its `by` labels) belongs to. */
  owners(labels: Record<string, string>, targets: readonly SourceTarget[]): SourceTarget[];
  /**
   * The scrape target whose continuous presence proves that a quiet counter really saw no request,
   * templated with {namespace}, {service}, {ingress}, {deployment}.
   */
  up: string;
}

/** Presets whose counter carries `namespace`-like and `service`-like labels. */
function byNamespaceAndService(metric: string, nsLabel: string, svcLabel: string, up: string): Preset {
  return {
    metric,
    by: [nsLabel, svcLabel],
    matchers: (ts) =>
      `${nsLabel}=~${quote(alternation(ts.map((t) => t.namespace)))}, ${svcLabel}=~${quote(alternation(ts.map(serviceOf)))}`,
    owners: (l, ts) => ts.filter((t) => l[nsLabel] === t.namespace && l[svcLabel] === serviceOf(t)),
    up,
  };
}

/**
 * Traefik names a Kubernetes Ingress backend `<namespace>-<service>-<port>@kubernetes` (and
 * `…@kubernetescrd` for IngressRoutes); the port part is a number or a port name, which may hold
 * dashes too, so the longest matching `<namespace>-<service>` wins.
 */
const traefik: Preset = {
  metric: "traefik_service_requests_total",
  by: ["service"],
  matchers: (ts) =>
    `service=~${quote(`(${alternation(ts.map((t) => `${t.namespace}-${serviceOf(t)}`))})-.+@kubernetes.*`)}`,
  owners: (l, ts) => {
    const name = /^(.+)@kubernetes/.exec(l.service ?? "")?.[1];
    if (name === undefined) return [];
    const prefix = (t: SourceTarget): string => `${t.namespace}-${serviceOf(t)}-`;
    const hits = ts.filter((t) => name.startsWith(prefix(t)) && name.length > prefix(t).length);
    const longest = Math.max(...hits.map((t) => prefix(t).length));
    return hits.filter((t) => prefix(t).length === longest);
  },
  up: 'up{job=~".*traefik.*"}',
};

/** The presets, by name. */
export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  app: byNamespaceAndService(
    "http_requests_total",
    "namespace",
    "service",
    'up{namespace="{namespace}", service="{service}"}',
  ),
  "ingress-nginx": byNamespaceAndService(
    "nginx_ingress_controller_requests",
    "namespace",
    "service",
    'up{job=~".*ingress-nginx.*"}',
  ),
  istio: byNamespaceAndService(
    "istio_requests_total",
    "destination_service_namespace",
    "destination_service_name",
    'up{job=~".*(istio|envoy).*"}',
  ),
  traefik,
};

/** True when the name is a preset. */
export const isPreset = (name: string): name is PresetName =>
  (PRESET_NAMES as readonly string[]).includes(name);
