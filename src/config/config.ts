import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { parseDuration } from "../duration.js";
import { OPTIONS, SECRET_ENV, type OptionDeclaration, type OptionName, type SecretName } from "./options.js";

/** The typed, frozen configuration; nothing else reads the environment. */
export interface Config {
  kubeconfig: string;
  namespaces: string[];
  metricsSource: string;
  metricsSources: string[];
  sweepIntervalMs: number;
  idleAfterMs: number;
  wakeTimeoutMs: number;
  proxy: "istio" | "nginx" | "traefik";
  wakePort: number;
  wakeAddress: string;
  holdLimitMs: number;
  settleDelayMs: number;
  loopGuardMs: number;
  maxHeldPerApp: number;
  retryAfter: number;
  ingressClass: string;
  maxRedirects: number;
  redirectBackoffMs: number;
  maxHeld: number;
  maxConnections: number;
  statusEndpoint: boolean;
  leaderElection: boolean;
  leaseName: string;
  leaseNamespace: string;
  leaseDurationMs: number;
  leaseRenewDeadlineMs: number;
  leaseRetryMs: number;
  apiTimeoutMs: number;
  sourceTimeoutMs: number;
  watchTimeoutMs: number;
  unhealthyAfterMs: number;
  shutdownDelayMs: number;
  identity: string;
  logFormat: "json" | "text";
  logLevel: "error" | "warn" | "info" | "debug";
  prometheusUrl: string;
  prometheusPreset: "app" | "ingress-nginx" | "istio" | "traefik";
  prometheusScrapeInterval: number;
  prometheusUpQuery: string;
  prometheusUsername: string;
  prometheusPasswordFile: string;
  prometheusBearerTokenFile: string;
  prometheusCaFile: string;
  prometheusTimeoutMs: number;
  influxdbUrl: string;
  influxdbOrg: string;
  influxdbBucket: string;
  influxdbTokenFile: string;
  influxdbMeasurement: string;
  influxdbField: string;
  influxdbReportInterval: number;
  influxdbTimeoutMs: number;
  datadogSite: string;
  datadogApiKeyFile: string;
  datadogAppKeyFile: string;
  datadogQuery: string;
  datadogInterval: number;
  datadogUrl: string;
  datadogTimeoutMs: number;
  logsFiles: string[];
  logsFormat: "envoy" | "envoy-json" | "nginx-combined" | "nginx-json";
  logsPollInterval: number;
  /** From the environment only; never logged. */
  secrets: Readonly<Partial<Record<SecretName, string>>>;
}

/** One bad configuration value, with where it came from. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`${key}=${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}: ${reason}`);
    this.name = "ConfigError";
  }
}

/** Every problem in a configuration, listed at once. */
export class ConfigErrors extends Error {
  constructor(readonly problems: ConfigError[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p.message}`).join("\n")}`);
    this.name = "ConfigErrors";
  }
}

/** Where configuration comes from; later sources win: file < env < flags. */
export interface ConfigInput {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Used for the identity default. */
  hostname: string;
  pid: number;
}

const FLAG_NAMES = new Map(Object.entries(OPTIONS).map(([k, d]) => [d.flag, k as OptionName]));

/** Parses flags, environment and the optional YAML file (--config / KUBENAP_CONFIG). Throws ConfigErrors. */
export function loadConfig(input: ConfigInput): Readonly<Config> {
  const problems: ConfigError[] = [];
  const raw = new Map<OptionName, { text: string; from: string }>();
  const { flags, configPath } = parseFlags(input.argv, problems);
  const filePath = configPath ?? input.env.KUBENAP_CONFIG;
  if (filePath) {
    for (const [k, v] of readFile(filePath, problems)) raw.set(k, v);
  }
  for (const [name, d] of Object.entries(OPTIONS) as [OptionName, OptionDeclaration][]) {
    const v = input.env[d.env];
    if (v !== undefined) raw.set(name, { text: v, from: d.env });
  }
  for (const [k, v] of flags) raw.set(k, v);

  const out: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(OPTIONS) as [OptionName, OptionDeclaration][]) {
    const given = raw.get(name);
    const text = given?.text ?? d.default;
    if (text === "" && d.type === "duration") continue; // derived below
    const r = convert(d, text);
    if (r.ok) out[name] = r.value;
    else problems.push(new ConfigError(given?.from ?? `--${d.flag}`, given?.text ?? d.default, r.reason));
  }
  if (out.leaseRenewDeadlineMs === undefined && typeof out.leaseDurationMs === "number") {
    out.leaseRenewDeadlineMs = Math.floor((out.leaseDurationMs * 2) / 3);
  }
  const lease = out as { leaseDurationMs?: number; leaseRenewDeadlineMs?: number; leaseRetryMs?: number };
  if (
    lease.leaseDurationMs !== undefined &&
    lease.leaseRenewDeadlineMs !== undefined &&
    lease.leaseRetryMs !== undefined
  ) {
    if (lease.leaseRenewDeadlineMs >= lease.leaseDurationMs) {
      problems.push(
        new ConfigError(
          "--lease-renew-deadline",
          String(lease.leaseRenewDeadlineMs),
          "must be below --lease-duration",
        ),
      );
    } else if (lease.leaseRetryMs >= lease.leaseRenewDeadlineMs) {
      problems.push(
        new ConfigError("--lease-retry", String(lease.leaseRetryMs), "must be below --lease-renew-deadline"),
      );
    }
  }
  if (problems.length > 0) throw new ConfigErrors(problems);
  if (!out.identity) out.identity = `${input.hostname}-${input.pid}`;
  const secrets: Partial<Record<SecretName, string>> = {};
  for (const [name, d] of Object.entries(SECRET_ENV) as [SecretName, { env: string }][]) {
    const v = input.env[d.env];
    if (v) secrets[name] = v;
  }
  out.secrets = Object.freeze(secrets);
  return Object.freeze(out as unknown as Config);
}

type Converted = { ok: true; value: unknown } | { ok: false; reason: string };

/** Converts one option's text to its typed value, or says why it cannot. */
function convert(d: OptionDeclaration, text: string): Converted {
  const ok = (value: unknown): Converted => ({ ok: true, value });
  const no = (reason: string): Converted => ({ ok: false, reason });
  const range = (n: number, unit = ""): Converted =>
    (d.min !== undefined && n < d.min) || (d.max !== undefined && n > d.max)
      ? no(`must be between ${d.min ?? "-∞"}${unit} and ${d.max ?? "∞"}${unit}`)
      : ok(n);
  switch (d.type) {
    case "duration": {
      const ms = text === "0" ? 0 : parseDuration(text);
      return ms === null ? no("expected a duration such as 500ms, 30s, 10m or 1h30m") : range(ms, "ms");
    }
    case "integer":
      return /^\d{1,9}$/.test(text) ? range(Number(text)) : no("expected a whole number");
    case "boolean":
      return text === "true" ? ok(true) : text === "false" ? ok(false) : no("expected true or false");
    case "enum":
      return d.values?.includes(text) ? ok(text) : no(`expected one of ${d.values?.join(", ")}`);
    case "list":
      return ok(
        text
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean),
      );
    default:
      return text.length > 4096 ? no("at most 4096 characters") : ok(text);
  }
}

/** `--name` or `--name=value`. */
const FLAG = /^--([a-z-]+)(?:=(.*))?$/s;

function parseFlags(argv: readonly string[], problems: ConfigError[]) {
  const flags = new Map<OptionName, { text: string; from: string }>();
  let configPath: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const m = FLAG.exec(arg);
    if (!m) {
      problems.push(new ConfigError(arg, arg, "unexpected argument"));
      continue;
    }
    const [, flag = "", inline] = m;
    const name = FLAG_NAMES.get(flag);
    // The next argument is this flag's value unless it is a flag itself (no option's value starts "--").
    const next = argv[i + 1];
    const value = inline ?? (next === undefined || FLAG.test(next) ? undefined : argv[++i]);
    if (flag !== "config" && !name) {
      problems.push(new ConfigError(`--${flag}`, value ?? "", "unknown option (see kubenap run --help)"));
    } else if (value === undefined) {
      problems.push(new ConfigError(`--${flag}`, "", "needs a value"));
    } else if (name) {
      flags.set(name, { text: value, from: `--${flag}` });
    } else {
      configPath = value;
    }
  }
  return { flags, configPath };
}

function readFile(path: string, problems: ConfigError[]): Map<OptionName, { text: string; from: string }> {
  const out = new Map<OptionName, { text: string; from: string }>();
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, "utf8"));
  } catch (err) {
    problems.push(new ConfigError("config file", path, `cannot read: ${(err as Error).message}`));
    return out;
  }
  if (doc === null || doc === undefined) return out;
  if (typeof doc !== "object" || Array.isArray(doc)) {
    problems.push(new ConfigError("config file", path, "must be a YAML mapping of option to value"));
    return out;
  }
  const byFileKey = new Map(Object.entries(OPTIONS).map(([k, d]) => [d.file, k as OptionName]));
  for (const [key, value] of flatten(doc as Record<string, unknown>)) {
    const name = byFileKey.get(key);
    if (!name) {
      problems.push(new ConfigError(`${path}: ${key}`, String(value), "unknown option"));
      continue;
    }
    const text = Array.isArray(value) ? value.map(String).join(",") : String(value);
    out.set(name, { text, from: `${path}: ${key}` });
  }
  return out;
}

/** `{prometheus: {url: x}}` → `prometheus.url: x` (a source's section); lists stay values. */
function flatten(doc: Record<string, unknown>, prefix = ""): [string, unknown][] {
  return Object.entries(doc).flatMap(([k, v]): [string, unknown][] =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? flatten(v as Record<string, unknown>, `${prefix}${k}.`)
      : [[`${prefix}${k}`, v]],
  );
}
