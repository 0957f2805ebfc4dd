import { BadWakeRequest } from "./errors.js";
import { hostMatches } from "./targets.js";

/** Longest original URL accepted (path and query). */
export const MAX_URL = 8 * 1024;
const HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$/i;

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

/** The request's host, validated as a DNS name with an optional port. */
export function requestHost(host: string | undefined): string | undefined {
  if (host === undefined || host === "") return undefined;
  if (host.length > 260 || !HOST.test(host))
    throw new BadWakeRequest(400, "the Host header is not a valid host name");
  return host.toLowerCase();
}

/**
 * Where the client goes after the wake. With Ingress hosts known, an absolute URL on the request's
 * host, which must be one of them; without, a relative URL, which cannot leave the host the client
 * asked for. Never an open redirect.
 */
export function redirectLocation(
  path: string,
  host: string | undefined,
  proto: string | undefined,
  ingressHosts: string[] | undefined,
): string {
  if (!ingressHosts || ingressHosts.length === 0 || host === undefined) return path;
  if (!ingressHosts.some((h) => hostMatches(h, host))) {
    throw new BadWakeRequest(400, `host ${host} is not served by the app's Ingress`);
  }
  const scheme = proto === "https" ? "https" : "http";
  const url = new URL(`${scheme}://${host}${path}`);
  if (url.host !== host) throw new BadWakeRequest(400, "the original URL would leave the host");
  return url.toString();
}
