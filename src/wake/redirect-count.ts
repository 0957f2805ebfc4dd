import { createHash } from "node:crypto";

// A loop guard that counts: how many 307s one client got for one app recently. Browsers carry the count
// in a short-lived cookie on the app's host; clients without cookies (curl -L, scripts) are counted in
// memory by client address and User-Agent. The larger of the two counts.

/** How long one wake's redirect count is remembered. */
export const COUNT_TTL_MS = 120_000;
const MAX_MEMORY = 10_000;

/** The cookie's name for an app: short, and free of the characters a cookie name may not hold. */
export function cookieName(appKey: string): string {
  return `kubenap_r_${createHash("sha256").update(appKey).digest("hex").slice(0, 12)}`;
}

/** The count the request's cookies carry for the app (0 when none). */
export function countFromCookie(cookieHeader: string | undefined, appKey: string): number {
  if (!cookieHeader) return 0;
  const name = cookieName(appKey);
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const v = part.slice(eq + 1).trim();
    return /^\d{1,3}$/.test(v) ? Number(v) : 0;
  }
  return 0;
}

/** The Set-Cookie value recording `count` redirects for the app. */
export function countCookie(appKey: string, count: number, secure: boolean): string {
  const ttl = Math.round(COUNT_TTL_MS / 1000);
  return `${cookieName(appKey)}=${count}; Max-Age=${ttl}; Path=/; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}

/** In-memory counts for clients that send no cookie back; bounded in size and age. */
export class RedirectMemory {
  private readonly counts = new Map<string, { n: number; at: number }>();

  constructor(private readonly now: () => number) {}

  /** The remembered count for a client and app. */
  get(client: string, appKey: string): number {
    const key = `${appKey}\u0000${client}`;
    const e = this.counts.get(key);
    if (!e) return 0;
    if (this.now() - e.at > COUNT_TTL_MS) {
      this.counts.delete(key);
      return 0;
    }
    return e.n;
  }

  /** Records one more redirect; the oldest entries go first when the map is full. */
  set(client: string, appKey: string, n: number): void {
    const key = `${appKey}\u0000${client}`;
    this.counts.delete(key);
    this.counts.set(key, { n, at: this.now() });
    while (this.counts.size > MAX_MEMORY) {
      const oldest = this.counts.keys().next().value;
      if (oldest === undefined) break;
      this.counts.delete(oldest);
    }
  }

  /** Forgets a client's count (it reached the app). */
  clear(client: string, appKey: string): void {
    this.counts.delete(`${appKey}\u0000${client}`);
  }
}

/**
 * Back-off before the n-th redirect (n counted from 0): none for the first, then doubling from
 * `baseMs`, at most `maxMs`.
 */
export function backoffMs(n: number, baseMs: number, maxMs: number): number {
  if (n <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** (n - 1));
}
