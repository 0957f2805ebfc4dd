import { BadWakeRequest } from "./errors.js";
import { hostMatches } from "./routes.js";

/** Longest original URL accepted (path and query). */
export const MAX_URL = 8 * 1024;
const HOST =
  /^(?:(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?|\[[0-9a-f:.]{2,45}\])(?::\d{1,5})?$/i;

/** The request's original path and query, from the ingress's headers; validated. */
export function originalPath(headerValue: string | undefined): string {
  const path = headerValue ?? "/";
  if (path.length > MAX_URL)
    throw new BadWakeRequest(400, `the original URL is longer than ${MAX_URL} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\s]/.test(path))
    throw new BadWakeRequest(400, "the original URL contains control characters or spaces");
  if (!path.startsWith("/") || path.startsWith("//") || path.startsWith("/\\") || path.includes("\\")) {
    throw new BadWakeRequest(
      400,
      "the original URL must be a path on the same host (starting with a single /)",
    );
  }
  return path;
}

/** The request's host, validated as a DNS name or a bracketed IPv6 literal, with an optional port. */
export function requestHost(host: string | undefined): string | undefined {
  if (host === undefined || host === "") return undefined;
  if (host.length > 260 || !HOST.test(host))
    throw new BadWakeRequest(400, "the Host header is not a valid host name");
  return host.toLowerCase();
}

/**
 * A path safe to put in a Location header with its bytes kept: Node reads header values as latin1, so
 * a UTF-8 path arrives as one character per byte; each byte above 0x7f is percent-encoded as itself
 * (`/p/ä` stays `/p/%C3%A4`). Characters above 0xff (possible only in-process) are encoded as UTF-8.
 */
export function encodePath(path: string): string {
  return path.replace(/[^\x20-\x7e]/g, (c) => {
    const code = c.charCodeAt(0);
    if (code <= 0xff) return `%${code.toString(16).toUpperCase().padStart(2, "0")}`;
    return encodeURIComponent(c);
  });
}

/** What the request's headers say about the client's scheme, if anything. */
export function forwardedScheme(h: {
  forwardedProto?: string | undefined;
  forwarded?: string | undefined;
  scheme?: string | undefined;
}): "http" | "https" | undefined {
  const norm = (v: string | undefined): "http" | "https" | undefined => {
    const s = v?.split(",")[0]?.trim().replace(/^"|"$/g, "").toLowerCase();
    return s === "https" || s === "wss" ? "https" : s === "http" || s === "ws" ? "http" : undefined;
  };
  const fromXfp = norm(h.forwardedProto);
  if (fromXfp) return fromXfp;
  // RFC 7239: the first element's proto= parameter.
  const first = h.forwarded?.split(",")[0];
  const m = first && /(?:^|;)\s*proto\s*=\s*("?)([a-z]+)\1\s*(?:;|$)/i.exec(first);
  const fromForwarded = norm(m?.[2]);
  if (fromForwarded) return fromForwarded;
  return norm(h.scheme);
}

/**
 * Which host the redirect names: the Host when it is one of the allowed (Ingress) hosts, else
 * X-Forwarded-Host when it is one of them; undefined when there are no allowed hosts (relative
 * redirect). Anything else is a 400: the redirect never leaves the app's Ingress hosts.
 */
export function redirectHost(
  host: string | undefined,
  forwardedHost: string | undefined,
  allowed: string[] | undefined,
): string | undefined {
  if (!allowed || allowed.length === 0) return undefined;
  if (host !== undefined && allowed.some((h) => hostMatches(h, host))) return host;
  if (forwardedHost !== undefined && allowed.some((h) => hostMatches(h, forwardedHost))) return forwardedHost;
  throw new BadWakeRequest(400, `host ${host ?? "(none)"} is not served by the app's Ingress`);
}

/** The scheme of the redirect: forwarded headers, else TLS on the host, else the given fallback. */
export function redirectScheme(
  forwarded: "http" | "https" | undefined,
  host: string | undefined,
  tlsHosts: string[] | undefined,
  fallback: "http" | "https",
): "http" | "https" {
  if (forwarded) return forwarded;
  if (host !== undefined && tlsHosts?.some((h) => hostMatches(h, host))) return "https";
  return fallback;
}

/**
 * Where the client goes after the wake: an absolute URL on `host` (an allowed Ingress host) with the
 * default port for the scheme dropped, or the path alone (relative: it cannot leave the host the
 * client asked for). Never an open redirect.
 */
export function redirectLocation(path: string, host: string | undefined, scheme: "http" | "https"): string {
  const safe = encodePath(path);
  if (host === undefined) return safe;
  const bare = /:(80|443)$/.test(host) ? host.replace(/:\d+$/, "") : host;
  return `${scheme}://${bare}${safe}`;
}
