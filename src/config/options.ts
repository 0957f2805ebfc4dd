// Every configuration option is declared here once: the parser, `kubenap --help` and README read it.

/** How an option's text is read. */
export type OptionType = "duration" | "integer" | "string" | "list" | "boolean" | "enum";

/** One declared option. */
export interface OptionDeclaration {
  readonly flag: string;
  readonly env: string;
  /** Key in the YAML config file. */
  readonly file: string;
  readonly type: OptionType;
  readonly default: string;
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly doc: string;
}

const o = (
  flag: string,
  type: OptionType,
  def: string,
  doc: string,
  extra: Partial<OptionDeclaration> = {},
): OptionDeclaration => ({
  flag,
  env: `KUBENAP_${flag.toUpperCase().replace(/-/g, "_")}`,
  file: flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()),
  type,
  default: def,
  doc,
  ...extra,
});

/** A source's option: flag `--<source>-<name>`, key `<name>` (camelCase) in the file's `<source>:` section. */
const src = (
  source: string,
  name: string,
  type: OptionType,
  def: string,
  doc: string,
  extra: Partial<OptionDeclaration> = {},
): OptionDeclaration => ({
  ...o(`${source}-${name}`, type, def, doc, extra),
  file: `${source}.${name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase())}`,
});

/** All options of `kubenap run`. */
export const OPTIONS = {
  kubeconfig: o(
    "kubeconfig",
    "string",
    "",
    "Path to a kubeconfig; empty: in-cluster config, else $KUBECONFIG or ~/.kube/config.",
  ),
  namespaces: o("namespaces", "list", "", "Comma-separated namespaces to watch; empty: all namespaces."),
  metricsSource: o(
    "metrics-source",
    "string",
    "none",
    "Default traffic metrics source. With `none`, nothing is ever put to sleep.",
  ),
  metricsSources: o(
    "metrics-sources",
    "list",
    "",
    "More sources to start beside --metrics-source, for apps that name one in kubenap/metricsSource.",
  ),
  sweepIntervalMs: o(
    "sweep-interval",
    "duration",
    "30s",
    "How often the monitor evaluates opted-in Deployments.",
    { min: 100 },
  ),
  idleAfterMs: o("idle-after", "duration", "15m", "Default kubenap/idleAfter.", { min: 1000 }),
  wakeTimeoutMs: o("wake-timeout", "duration", "5m", "Default kubenap/wakeTimeout.", { min: 1000 }),
  proxy: o("proxy", "enum", "nginx", "Default kubenap/proxy.", { values: ["istio", "nginx", "traefik"] }),
  wakePort: o("wake-port", "integer", "8080", "Port of the wake handler (0 disables it).", {
    min: 0,
    max: 65535,
  }),
  wakeAddress: o("wake-address", "string", "0.0.0.0", "Address the wake handler listens on."),
  holdLimitMs: o(
    "hold-limit",
    "duration",
    "20s",
    "Longest a wake request is held before the waiting page or 503.",
    { min: 0, max: 300_000 },
  ),
  settleDelayMs: o(
    "settle-delay",
    "duration",
    "1s",
    "Pause after readiness before the 307, so the ingress sees the endpoints.",
    { min: 0, max: 60_000 },
  ),
  loopGuardMs: o(
    "loop-guard",
    "duration",
    "15s",
    "After an app has been ready this long, ingress errors are the app's own (502).",
    { min: 0 },
  ),
  maxHeldPerApp: o(
    "max-held-per-app",
    "integer",
    "1000",
    "Requests held at once for one app; more get 503.",
    { min: 1, max: 100_000 },
  ),
  retryAfter: o("retry-after", "integer", "5", "Retry-After seconds on 503 answers.", { min: 1, max: 3600 }),
  // Wake handler: routing, loop guard and bounds (issue 8).
  ingressClass: o(
    "ingress-class",
    "string",
    "",
    "Only Ingresses of this class (spec.ingressClassName or kubernetes.io/ingress.class) map hosts to apps; empty: all.",
  ),
  maxRedirects: o(
    "max-redirects",
    "integer",
    "5",
    "Redirects one client gets for one wake before the waiting page or 503 (counted by cookie, else by client).",
    { min: 1, max: 15 },
  ),
  redirectBackoffMs: o(
    "redirect-backoff",
    "duration",
    "1s",
    "Pause before a client's second redirect for one wake; doubles for each further one.",
    { min: 0, max: 10_000 },
  ),
  maxHeld: o("max-held", "integer", "10000", "Requests held at once in total; more get 503.", {
    min: 1,
    max: 1_000_000,
  }),
  maxConnections: o(
    "max-connections",
    "integer",
    "20000",
    "Open connections to the wake handler; more are closed at once.",
    { min: 1, max: 1_000_000 },
  ),
  statusEndpoint: o(
    "status-endpoint",
    "boolean",
    "true",
    "Serve /status/<namespace>/<deployment>, which tells anyone who can reach it whether an opted-in app exists.",
  ),
  leaderElection: o(
    "leader-election",
    "boolean",
    "true",
    "Elect one active monitor through a Lease (wake handlers all serve).",
  ),
  leaseName: o("lease-name", "string", "kubenap-monitor", "Name of the leader election Lease."),
  leaseNamespace: o(
    "lease-namespace",
    "string",
    "",
    "Namespace of the leader election Lease; empty: the pod's own namespace in a cluster, else the kubeconfig context's namespace, else default.",
  ),
  leaseDurationMs: o("lease-duration", "duration", "15s", "How long a Lease is valid without renewal.", {
    min: 1000,
  }),
  leaseRenewDeadlineMs: o(
    "lease-renew-deadline",
    "duration",
    "",
    "A leader that could not renew for this long stops acting; below --lease-duration. Empty: two thirds of it.",
    { min: 200 },
  ),
  leaseRetryMs: o("lease-retry", "duration", "2s", "How often the Lease is renewed or tried.", { min: 100 }),
  apiTimeoutMs: o("api-timeout", "duration", "10s", "Deadline of each Kubernetes API request.", {
    min: 100,
    max: 300_000,
  }),
  sourceTimeoutMs: o(
    "source-timeout",
    "duration",
    "30s",
    "Longest a metrics source may take to answer a sweep; past it every app it covers is unknown (stays awake).",
    { min: 100 },
  ),
  watchTimeoutMs: o(
    "watch-timeout",
    "duration",
    "5m",
    "Server-side timeout of each watch (randomised up to twice this); a watch silent for longer is restarted.",
    { min: 1000 },
  ),
  unhealthyAfterMs: o(
    "unhealthy-after",
    "duration",
    "30s",
    "/readyz fails once a needed watch has been failing this long.",
    { min: 0 },
  ),
  shutdownDelayMs: o(
    "shutdown-delay",
    "duration",
    "5s",
    "On SIGTERM: /readyz fails at once, requests are still served this long, then held wakes get 503 + Retry-After.",
    { min: 0, max: 120_000 },
  ),
  identity: o(
    "identity",
    "string",
    "",
    "This replica's name in the Lease; empty: the host name and process id.",
  ),
  logFormat: o("log-format", "enum", "json", "json for machines, text for a terminal.", {
    values: ["json", "text"],
  }),
  logLevel: o("log-level", "enum", "info", "Least severe level logged.", {
    values: ["error", "warn", "info", "debug"],
  }),
  // Source options: each source reads its own section (`prometheus:`, `influxdb:`, … in the YAML file).
  prometheusUrl: src("prometheus", "url", "string", "", "Base URL of the Prometheus HTTP API."),
  prometheusPreset: src(
    "prometheus",
    "preset",
    "enum",
    "app",
    "Default query shape: app, traefik, ingress-nginx or istio.",
    { values: ["app", "ingress-nginx", "istio", "traefik"] },
  ),
  prometheusScrapeInterval: src(
    "prometheus",
    "scrape-interval",
    "duration",
    "30s",
    "The scrape interval of the request and up series (query resolution; no-traffic proof).",
    { min: 100 },
  ),
  prometheusUpQuery: src(
    "prometheus",
    "up-query",
    "string",
    "",
    "Selector of the scrape target that counts an app's traffic, templated; empty: the preset's.",
  ),
  prometheusUsername: src("prometheus", "username", "string", "", "Basic auth user name."),
  prometheusPasswordFile: src(
    "prometheus",
    "password-file",
    "string",
    "",
    "File holding the basic auth password.",
  ),
  prometheusBearerTokenFile: src(
    "prometheus",
    "bearer-token-file",
    "string",
    "",
    "File holding a bearer token (re-read on each query, so a rotated Secret works).",
  ),
  prometheusCaFile: src("prometheus", "ca-file", "string", "", "PEM CA bundle to trust for an https URL."),
  prometheusTimeoutMs: src("prometheus", "timeout", "duration", "10s", "Timeout of one query.", {
    min: 100,
  }),
  influxdbUrl: src("influxdb", "url", "string", "", "Base URL of InfluxDB (Flux on /api/v2/query)."),
  influxdbOrg: src("influxdb", "org", "string", "", "Organization (InfluxDB 2; ignored by 1.x)."),
  influxdbBucket: src(
    "influxdb",
    "bucket",
    "string",
    "",
    "Bucket holding the request counters (InfluxDB 1.x: database/retention-policy).",
  ),
  influxdbTokenFile: src(
    "influxdb",
    "token-file",
    "string",
    "",
    "File holding the API token (1.x: user:password); or set $KUBENAP_INFLUXDB_TOKEN.",
  ),
  influxdbMeasurement: src(
    "influxdb",
    "measurement",
    "string",
    "http_requests",
    "Measurement of the counters.",
  ),
  influxdbField: src("influxdb", "field", "string", "count", "Field holding the cumulative request count."),
  influxdbReportInterval: src(
    "influxdb",
    "report-interval",
    "duration",
    "30s",
    "How often counters are written (even unchanged); proves a quiet series was being reported.",
    { min: 100 },
  ),
  influxdbTimeoutMs: src("influxdb", "timeout", "duration", "10s", "Timeout of one query.", { min: 100 }),
  datadogSite: src(
    "datadog",
    "site",
    "string",
    "datadoghq.com",
    "Datadog site (datadoghq.eu, us3.datadoghq.com, …).",
  ),
  datadogApiKeyFile: src(
    "datadog",
    "api-key-file",
    "string",
    "",
    "File holding the API key; or set $DD_API_KEY.",
  ),
  datadogAppKeyFile: src(
    "datadog",
    "app-key-file",
    "string",
    "",
    "File holding the application key; or set $DD_APP_KEY.",
  ),
  datadogQuery: src(
    "datadog",
    "query",
    "string",
    "sum:trace.http.request.hits{*} by {kube_namespace,kube_service}.as_count()",
    "Metrics query, grouped by namespace and service tags (the first two `by` tags).",
  ),
  datadogInterval: src(
    "datadog",
    "interval",
    "duration",
    "60s",
    "Rollup interval of the query: last activity is accurate to this.",
    { min: 1000 },
  ),
  datadogUrl: src(
    "datadog",
    "url",
    "string",
    "",
    "API base URL instead of the site's (a proxy); empty: https://api.<site>.",
  ),
  datadogTimeoutMs: src("datadog", "timeout", "duration", "10s", "Timeout of one query.", { min: 100 }),
  logsFiles: src("logs", "files", "list", "", "Access log files to tail (comma-separated)."),
  logsFormat: src(
    "logs",
    "format",
    "enum",
    "nginx-combined",
    "Line format: nginx-combined, nginx-json, envoy or envoy-json.",
    { values: ["envoy", "envoy-json", "nginx-combined", "nginx-json"] },
  ),
  logsPollInterval: src("logs", "poll-interval", "duration", "1s", "How often the files are read.", {
    min: 10,
  }),
} as const satisfies Record<string, OptionDeclaration>;

/** An option's short name. */
export type OptionName = keyof typeof OPTIONS;

/** Secrets are read from the environment only (never flags, which other users can see in `ps`). */
export const SECRET_ENV = {
  prometheusPassword: { env: "KUBENAP_PROMETHEUS_PASSWORD", doc: "Basic auth password of Prometheus." },
  prometheusBearerToken: { env: "KUBENAP_PROMETHEUS_BEARER_TOKEN", doc: "Bearer token for Prometheus." },
  influxdbToken: { env: "KUBENAP_INFLUXDB_TOKEN", doc: "InfluxDB API token (1.x: user:password)." },
  datadogApiKey: { env: "DD_API_KEY", doc: "Datadog API key." },
  datadogAppKey: { env: "DD_APP_KEY", doc: "Datadog application key." },
} as const;

/** A secret's short name. */
export type SecretName = keyof typeof SECRET_ENV;
