/** What one access-log line says about where a request went. */
export interface Hit {
  host?: string;
  path?: string;
  /** An upstream name: Envoy's cluster (`outbound|80||svc.ns.svc.cluster.local`) or ingress-nginx's `ns-svc-port`. */
  upstream?: string;
}

/** The line formats KubeNap reads. */
export const LOG_FORMATS = ["envoy", "envoy-json", "nginx-combined", "nginx-json"] as const;
/** One of LOG_FORMATS. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Parses one line; undefined when it is not a request line of that format. */
export type LineParser = (line: string) => Hit | undefined;

/** The path of an HTTP request line (`GET /a/b?x HTTP/1.1` → `/a/b?x`). */
function requestPath(request: string): string | undefined {
  const a = request.indexOf(" ");
  if (a < 0) return undefined;
  const b = request.indexOf(" ", a + 1);
  return request.slice(a + 1, b < 0 ? undefined : b);
}

/**
 * NGINX `combined`: `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
 * "$http_referer" "$http_user_agent"`. It has no host; ingress-nginx's `upstreaminfo` format adds
 * `… $request_length $request_time [$proxy_upstream_name] …`, read when present.
 */
const nginxCombined: LineParser = (line) => {
  const q1 = line.indexOf('"');
  if (q1 < 0) return undefined;
  const q2 = line.indexOf('"', q1 + 1);
  if (q2 < 0) return undefined;
  const path = requestPath(line.slice(q1 + 1, q2));
  if (path === undefined) return undefined;
  const hit: Hit = { path };
  // Past referer and user agent (two more quoted fields), an optional [upstream name].
  let i = q2;
  for (let n = 0; n < 4 && i >= 0; n++) i = line.indexOf('"', i + 1);
  if (i >= 0) {
    const open = line.indexOf("[", i);
    const close = open < 0 ? -1 : line.indexOf("]", open);
    if (close > open + 1) hit.upstream = line.slice(open + 1, close);
  }
  return hit;
};

const HOST_KEYS: readonly string[] = ["host", "http_host", "authority", ":authority", "server_name"];
const PATH_KEYS: readonly string[] = ["request_uri", "path", "uri"];
const UPSTREAM_KEYS: readonly string[] = ["upstream_cluster", "proxy_upstream_name", "upstream_name"];
const quoted = (keys: readonly string[]): readonly string[] => keys.map((k) => JSON.stringify(k));
const HOST_Q = quoted(HOST_KEYS);
const PATH_Q = quoted(PATH_KEYS);
const UPSTREAM_Q = quoted(UPSTREAM_KEYS);
const REQUEST_Q = JSON.stringify("request");

/**
 * The string value of a top-level key in a one-line JSON object, found without parsing the whole
 * line (the fast path); undefined when absent, null when the value needs a real parser (escapes).
 */
function jsonString(line: string, quotedKey: string): string | undefined | null {
  const at = line.indexOf(quotedKey);
  if (at < 0) return undefined;
  let i = at + quotedKey.length;
  while (line.charCodeAt(i) === 32) i++;
  if (line.charCodeAt(i) !== 58 /* : */) return null;
  i++;
  while (line.charCodeAt(i) === 32) i++;
  if (line.charCodeAt(i) !== 34 /* " */) return null;
  const end = line.indexOf('"', i + 1);
  if (end < 0) return null;
  const v = line.slice(i + 1, end);
  return v.includes("\\") ? null : v;
}

/** The first usable string value among keys; null when one of them needs the real parser. */
function pickFast(line: string, keys: readonly string[]): string | undefined | null {
  for (const k of keys) {
    const v = jsonString(line, k);
    if (v === null) return null;
    if (v !== undefined && v !== "" && v !== "-") return v;
  }
  return undefined;
}

/** JSON lines (NGINX `log_format … escape=json '{…}'`, Envoy `json_format`), read by common key names. */
const jsonLine: LineParser = (line) => {
  if (line.charCodeAt(0) !== 123 /* { */) return undefined;
  const host = pickFast(line, HOST_Q);
  let path = pickFast(line, PATH_Q);
  if (path === undefined) {
    const request = jsonString(line, REQUEST_Q);
    path = typeof request === "string" ? requestPath(request) : request;
  }
  const upstream = pickFast(line, UPSTREAM_Q);
  if (host === null || path === null || upstream === null) return jsonLineSlow(line);
  if (host === undefined && path === undefined && upstream === undefined) return undefined;
  const hit: Hit = {};
  if (host !== undefined) hit.host = host;
  if (path !== undefined) hit.path = path;
  if (upstream !== undefined) hit.upstream = upstream;
  return hit;
};

/** The same, through JSON.parse: for escaped values, odd spacing, or a key that appears nested. */
const jsonLineSlow: LineParser = (line) => {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const pick = (keys: readonly string[]): string | undefined => {
    for (const k of keys) {
      const v = o[k];
      if (typeof v === "string" && v !== "" && v !== "-") return v;
    }
    return undefined;
  };
  const hit: Hit = {};
  const host = pick(HOST_KEYS);
  let path = pick(PATH_KEYS);
  if (path === undefined && typeof o.request === "string") path = requestPath(o.request);
  const upstream = pick(UPSTREAM_KEYS);
  if (host !== undefined) hit.host = host;
  if (path !== undefined) hit.path = path;
  if (upstream !== undefined) hit.upstream = upstream;
  return (hit.host ?? hit.path ?? hit.upstream) ? hit : undefined;
};

/**
 * Envoy's default text format: `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%
 * %PROTOCOL%" … "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"`; Istio's adds
 * `%UPSTREAM_CLUSTER%` after the last quoted field. The authority is the last quoted field but one.
 */
const envoyText: LineParser = (line) => {
  const quoted: [number, number][] = [];
  let i = line.indexOf('"');
  while (i >= 0) {
    const j = line.indexOf('"', i + 1);
    if (j < 0) break;
    quoted.push([i + 1, j]);
    i = line.indexOf('"', j + 1);
  }
  const first = quoted[0];
  if (quoted.length < 3 || !first) return undefined;
  const path = requestPath(line.slice(first[0], first[1]));
  const auth = quoted[quoted.length - 2];
  const last = quoted[quoted.length - 1];
  const hit: Hit = {};
  if (path !== undefined) hit.path = path;
  if (auth && line.slice(auth[0], auth[1]) !== "-") hit.host = line.slice(auth[0], auth[1]);
  if (last) {
    const rest = line.slice(last[1] + 1).trimStart();
    const token = rest.slice(0, rest.indexOf(" ") < 0 ? undefined : rest.indexOf(" "));
    if (token.includes("|")) hit.upstream = token;
  }
  return hit;
};

/** The parser of each format. */
export const PARSERS: Readonly<Record<LogFormat, LineParser>> = {
  envoy: envoyText,
  "envoy-json": jsonLine,
  "nginx-combined": nginxCombined,
  "nginx-json": jsonLine,
};
