// Every kubenap/* key is declared here, once: the parser, the README table and the CLI help read it.

/** Who writes a key: the user configures it, KubeNap records state in it. */
export type Writer = "user" | "kubenap";

/** One declared label or annotation. */
export interface KeyDeclaration {
  readonly key: string;
  readonly on: "label" | "annotation";
  readonly writer: Writer;
  readonly type: string;
  readonly default: string;
  readonly example: string;
  readonly doc: string;
}

const declare = <K extends string>(decls: Record<K, KeyDeclaration>): Readonly<Record<K, KeyDeclaration>> =>
  Object.freeze(decls);

/** The KubeNap contract on a Deployment. */
export const KEYS = declare({
  enabled: {
    key: "kubenap/enabled",
    on: "label",
    writer: "user",
    type: '"true"',
    default: "(required)",
    example: '"true"',
    doc: "Opts the Deployment in. Any other value, or no label, and KubeNap never touches it.",
  },
  service: {
    key: "kubenap/service",
    on: "annotation",
    writer: "user",
    type: "Service name",
    default: "the single Service whose selector matches the pod labels",
    example: "myapp-svc",
    doc: "Service in the same namespace that fronts the app; its EndpointSlices tell readiness.",
  },
  ingress: {
    key: "kubenap/ingress",
    on: "annotation",
    writer: "user",
    type: "Ingress name",
    default: "(none)",
    example: "myapp-ing",
    doc: "Ingress in the same namespace; maps Host to the app and bounds where wake redirects may go.",
  },
  idleAfter: {
    key: "kubenap/idleAfter",
    on: "annotation",
    writer: "user",
    type: "duration",
    default: "controller default (15m)",
    example: "10m",
    doc: "Time without traffic before the app is put to sleep; also the grace period after a wake or rollout.",
  },
  replicaCount: {
    key: "kubenap/replicaCount",
    on: "annotation",
    writer: "user",
    type: "integer >= 1",
    default: "the replica count before sleep (recorded by KubeNap)",
    example: "2",
    doc: "Replicas to restore on wake. When absent, KubeNap records the pre-sleep count here.",
  },
  proxy: {
    key: "kubenap/proxy",
    on: "annotation",
    writer: "user",
    type: "nginx | traefik | istio",
    default: "controller default (nginx)",
    example: "nginx",
    doc: "Which ingress fronts the app, for proxy-plugin output.",
  },
  metricsSource: {
    key: "kubenap/metricsSource",
    on: "annotation",
    writer: "user",
    type: "source kind",
    default: "controller default (--metrics-source)",
    example: "prometheus",
    doc: "Which traffic metrics source tells this app's last activity.",
  },
  query: {
    key: "kubenap/query",
    on: "annotation",
    writer: "user",
    type: "string, at most 4096 characters",
    default: "the source's default query",
    example: 'sum(rate(http_requests_total{service="myapp"}[1m]))',
    doc: "Source-specific query override.",
  },
  wakeTimeout: {
    key: "kubenap/wakeTimeout",
    on: "annotation",
    writer: "user",
    type: "duration",
    default: "controller default (5m)",
    example: "2m",
    doc: "How long a wake may take before it fails with 504 and a WakeTimeout Event.",
  },
  awakeUntil: {
    key: "kubenap/awakeUntil",
    on: "annotation",
    writer: "user",
    type: "RFC 3339 time",
    default: "(none)",
    example: "2026-11-25T18:00:00Z",
    doc: "Keeps the app awake until this time: the monitor does not put it to sleep before. Set by `kubenap pin`, removed by `kubenap unpin`.",
  },
  state: {
    key: "kubenap/state",
    on: "annotation",
    writer: "kubenap",
    type: "awake | asleep",
    default: "awake",
    example: "asleep",
    doc: "Written by KubeNap in the same update that scales the Deployment.",
  },
  sleptAt: {
    key: "kubenap/sleptAt",
    on: "annotation",
    writer: "kubenap",
    type: "RFC 3339 time",
    default: "(none)",
    example: "2026-11-25T14:00:00Z",
    doc: "When KubeNap last put the app to sleep.",
  },
  wokeAt: {
    key: "kubenap/wokeAt",
    on: "annotation",
    writer: "kubenap",
    type: "RFC 3339 time",
    default: "(none)",
    example: "2026-11-25T14:05:00Z",
    doc: "When KubeNap last woke the app; starts the grace period.",
  },
  replicaCountRecorded: {
    key: "kubenap/replicaCountRecorded",
    on: "annotation",
    writer: "kubenap",
    type: "integer",
    default: "(none)",
    example: '"2"',
    doc: "The count KubeNap recorded in kubenap/replicaCount; while both match, each sleep refreshes it. Change kubenap/replicaCount and your value is kept.",
  },
});

/** A declared key's short name. */
export type KeyName = keyof typeof KEYS;

/** Every declared key string, for the "no undeclared key" test. */
export const DECLARED_KEYS: ReadonlySet<string> = new Set(Object.values(KEYS).map((d) => d.key));
