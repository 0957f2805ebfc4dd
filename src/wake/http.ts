import type { IncomingMessage, ServerResponse } from "node:http";

// The little HTTP the wake handler needs, on node:http directly: a request's path split into decoded
// segments, its query, and answers with a type and a length. (express cost about half the handler's
// time per request; see `npm run bench -- wake-throughput`.)

/** A request target, parsed once. */
export interface RequestUrl {
  /** The target as the client sent it (path and query). */
  raw: string;
  /** The path, still percent-encoded. */
  path: string;
  /** Decoded path segments, without the leading and one trailing empty segment. */
  segments: string[];
  query: URLSearchParams;
}

/** A target whose percent-encoding cannot be decoded. */
export class MalformedUrl extends Error {}

/** Parses origin-form (`/p?q`) and absolute-form (`http://h/p?q`) targets. */
export function parseRequestUrl(target: string): RequestUrl {
  let raw = target;
  const absolute = /^https?:\/\/[^/?#]*/i.exec(raw);
  if (absolute) raw = raw.slice(absolute[0].length) || "/";
  const hash = raw.indexOf("#");
  if (hash >= 0) raw = raw.slice(0, hash);
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const parts = path.split("/").slice(1);
  if (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  let segments: string[];
  try {
    segments = parts.map((s) => decodeURIComponent(s));
  } catch {
    throw new MalformedUrl("the request path has malformed percent-encoding");
  }
  return { raw, path, segments, query: new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)) };
}

/** A header's first value. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Answers with a body of the given type (and the headers set before). */
export function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", type);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}

export const TEXT = "text/plain; charset=utf-8";
export const HTML = "text/html; charset=utf-8";
export const JSON_TYPE = "application/json; charset=utf-8";

/** Sets several headers at once. */
export function setHeaders(res: ServerResponse, headers: Record<string, string>): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
}
