import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Logger } from "winston";
import type { Clock, Timers } from "../clock.js";
import { NotOptedInError } from "../k8s/deployments.js";
import { errorFields } from "../k8s/errors.js";
import { BadWakeRequest, WakeTimeoutError } from "./errors.js";
import type { WakeMetrics } from "./metrics.js";
import {
  header,
  HTML,
  JSON_TYPE,
  MalformedUrl,
  parseRequestUrl,
  send,
  setHeaders,
  TEXT,
  type RequestUrl,
} from "./http.js";
import { POLL_HEADER, STATE_HEADER, waitingPage } from "./page.js";
import { sendProblem } from "./problem.js";
import type { Readiness } from "./readiness.js";
import { backoffMs, countCookie, countFromCookie, RedirectMemory } from "./redirect-count.js";
import {
  forwardedScheme,
  originalPath,
  redirectHost,
  redirectLocation,
  redirectScheme,
  requestHost,
} from "./redirect.js";
import { TargetNotFound, type TargetIndex, type WakeTarget } from "./targets.js";
import type { Waker } from "./waker.js";

/** Time bounds and size bounds of the wake handler. */
export interface WakeLimits {
  /** Longest a request is held before the waiting page / 503 (below ingress timeouts). */
  holdLimitMs: number;
  /** Pause after readiness so the ingress picks up the new endpoints before the client retries. */
  settleDelayMs: number;
  /** After this long ready, an ingress error is the app's own (502), not a reason to redirect. */
  loopGuardMs: number;
  /** Requests held at once for one app; more get 503 at once. */
  maxHeldPerApp: number;
  /** Requests held at once in total; more get 503 at once. */
  maxHeld: number;
  /** Redirects one client gets for one wake before the waiting page / 503 (loop guard). */
  maxRedirects: number;
  /** Back-off before the second redirect to the same client; doubles for each further one. */
  redirectBackoffMs: number;
  /** Retry-After seconds for 503 answers. */
  retryAfterSeconds: number;
}

/** What the wake app needs; all built in main or by a test. */
export interface WakeAppDeps {
  targets: TargetIndex;
  waker: Waker;
  readiness: Readiness;
  logger: Logger;
  limits: WakeLimits;
  metrics: WakeMetrics;
  clock: Clock;
  timers: Timers;
  /** True once the informers have listed; wakes before that get 503. */
  ready: () => boolean;
  /** What /readyz answers (informer health, draining); default: ready(). */
  readyz?: () => { ok: boolean; text: string };
  /** Aborted at shutdown: held wakes are answered at once (waiting page or 503 + Retry-After). */
  shutdown?: AbortSignal;
  /**
   * The watch failing right now, if any: an app KubeNap cannot find may then exist unseen (created during
   * an API outage), so the answer is 503 + Retry-After, never a stale 404.
   */
  staleWatch?: () => string | undefined;
  /** Serve /status/<namespace>/<deployment> (it tells whether an opted-in app exists). Default true. */
  statusEndpoint?: boolean;
}

/**
 * Traefik's errors middleware can pass the original URL only in the query (`?uri={url}`); keep its path
 * and query (the host comes from the Host header, checked like any other).
 */
const queryUri = (url: RequestUrl): string | undefined => {
  const all = url.query.getAll("uri");
  const v = all.length === 1 ? all[0] : undefined;
  if (v === undefined) return undefined;
  if (!/^https?:\/\//i.test(v)) return v;
  try {
    const u = new URL(v);
    return u.pathname + u.search;
  } catch {
    return v;
  }
};

/** True when the client asked for HTML (a browser): it gets pages instead of problem+json. */
const acceptsHtml = (req: IncomingMessage): boolean => (header(req, "accept") ?? "").includes("text/html");

/** X-Forwarded-Host's first value when it is a valid host; it only counts if it names an Ingress host. */
function forwardedHost(req: IncomingMessage): string | undefined {
  const first = header(req, "x-forwarded-host")?.split(",")[0]?.trim();
  try {
    return requestHost(first);
  } catch {
    return undefined;
  }
}

/** The scheme the proxy-plugin configuration passes (`/wake?scheme=https`) when no header says. */
function fallbackScheme(url: RequestUrl): "http" | "https" {
  return url.query.get("scheme") === "https" ? "https" : "http";
}

/** Who a client is, for the redirect count of clients without cookies. */
function clientId(req: IncomingMessage): string {
  const ip =
    header(req, "x-forwarded-for")?.split(",")[0]?.trim() ??
    header(req, "x-real-ip") ??
    req.socket.remoteAddress ??
    "";
  return `${ip.slice(0, 64)} ${(header(req, "user-agent") ?? "").slice(0, 256)}`;
}

/** The wake handler: /wake, /wake/:namespace/:deployment, /status/…, /healthz, /readyz, /metrics. */
export function createWakeApp(d: WakeAppDeps): RequestListener {
  const held = new Map<string, number>();
  let heldTotal = 0;
  const memory = new RedirectMemory(() => d.clock.now());
  const log = d.logger.child({ component: "wake" });

  /** One request: parse its target, route it, and never let an error escape to node:http. */
  function handle(req: IncomingMessage, res: ServerResponse): void {
    let url: RequestUrl;
    try {
      url = parseRequestUrl(req.url ?? "/");
    } catch (err) {
      if (!(err instanceof MalformedUrl)) throw err;
      return done(res, "/", 400, "Bad request", err.message, acceptsHtml(req));
    }
    route(req, res, url).catch((err: unknown) => {
      log.error("wake handler error", errorFields(err));
      if (!res.headersSent) done(res, url.path, 500, "Internal error", "KubeNap failed to answer", false);
      else res.destroy();
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: RequestUrl): Promise<void> {
    const [first, ns, dep, ...more] = url.segments;
    const name = first?.toLowerCase();
    const read = req.method === "GET" || req.method === "HEAD";
    if (name === "wake" && more.length === 0 && (ns === undefined || (ns && dep)))
      return handleWake(req, res, url, ns, dep);
    // ingress-nginx's default-backend form sends the error request to path / with X-Code set.
    if (first === undefined && header(req, "x-code") !== undefined) return handleWake(req, res, url);
    if (read && url.segments.length === 1 && name === "healthz") return send(res, 200, TEXT, "ok\n");
    if (read && url.segments.length === 1 && name === "readyz") {
      const r = d.readyz?.() ?? { ok: d.ready(), text: d.ready() ? "ok\n" : "informers not synced\n" };
      return send(res, r.ok ? 200 : 503, TEXT, r.text);
    }
    if (read && url.segments.length === 1 && name === "metrics") {
      const body = await d.metrics.registry.metrics();
      return send(res, 200, d.metrics.registry.contentType, body);
    }
    if (read && name === "status" && ns && dep && more.length === 0 && d.statusEndpoint !== false) {
      const t = d.targets.target(ns, dep);
      if (!t) {
        const msg = `deployment ${ns}/${dep} does not exist or is not opted in to KubeNap`;
        return fail(req, res, url, new TargetNotFound(msg));
      }
      res.setHeader("Cache-Control", "no-store");
      return send(res, 200, JSON_TYPE, JSON.stringify(status(t)));
    }
    done(res, url.path, 404, "Not found", `no such path: ${url.path.slice(0, 200)}`, acceptsHtml(req));
  }

  function status(t: WakeTarget): Record<string, unknown> {
    const flight = d.waker.inFlight(t);
    // As the wake path decides: ready endpoints count only while the Deployment is seen scaled up (a
    // slice can lag a scale-down, and the Deployment's watch can lag the slices' after an outage).
    const ready = t.replicas > 0 && d.readiness.isReady(t);
    const state = ready ? "ready" : d.waker.recentFailure(t) ? "failed" : flight ? "waking" : "asleep";
    return {
      namespace: t.namespace,
      deployment: t.name,
      state,
      ready,
      ...(flight && { wakeStartedAt: new Date(flight.startedAt).toISOString() }),
    };
  }

  async function handleWake(
    req: IncomingMessage,
    res: ServerResponse,
    url: RequestUrl,
    namespace?: string,
    deployment?: string,
  ): Promise<void> {
    const wantsHtml = acceptsHtml(req);
    if (!d.ready()) {
      return done(
        res,
        url.path,
        503,
        "KubeNap is starting",
        "KubeNap has not finished reading the cluster yet; retry shortly",
        wantsHtml,
        { "Retry-After": String(d.limits.retryAfterSeconds) },
      );
    }
    let target: WakeTarget;
    let location: string;
    let secure: boolean;
    try {
      if (url.raw.length > 8192) throw new BadWakeRequest(400, "request URL longer than 8 KiB");
      const path = originalPath(
        header(req, "x-original-uri") ?? header(req, "x-forwarded-uri") ?? queryUri(url),
      );
      const host = requestHost(header(req, "host"));
      target = d.targets.resolve({
        namespace: namespace ?? header(req, "x-namespace"),
        deployment,
        service: header(req, "x-service-name"),
        ingress: header(req, "x-ingress-name"),
        host,
        path,
      });
      const to = redirectHost(host, forwardedHost(req), target.hosts);
      const scheme = redirectScheme(
        forwardedScheme({
          forwardedProto: header(req, "x-forwarded-proto"),
          forwarded: header(req, "forwarded"),
          scheme: header(req, "x-scheme"),
        }),
        to,
        target.tlsHosts,
        fallbackScheme(url),
      );
      secure = scheme === "https";
      location = redirectLocation(path, to, scheme);
    } catch (err) {
      return fail(req, res, url, err);
    }
    res.setHeader(STATE_HEADER, "waking");
    const now = d.clock.now();
    // After a restart readiness looks "old"; a recent kubenap/wokeAt still counts as the wake's start.
    // KubeNap's own record still says asleep while replicas > 0: a wake not recorded yet (KubeNap
    // restarted between the scale-up and the annotation). Not the app's error: finish that wake.
    const unrecorded = target.policy.state === "asleep";
    const seenReady = target.replicas > 0 ? d.readiness.readyAt(target) : undefined;
    const readyAt =
      seenReady === undefined || unrecorded
        ? undefined
        : Math.max(seenReady, target.policy.wokeAt?.getTime() ?? 0);
    const client = clientId(req);
    const counted = Math.max(
      countFromCookie(header(req, "cookie"), target.key),
      memory.get(client, target.key),
    );
    // A client in the middle of its backed-off redirects finishes them; past --loop-guard, any other
    // request that still reaches KubeNap for a ready app carries the app's own error.
    const midSequence = counted > 0 && counted < d.limits.maxRedirects;
    if (readyAt !== undefined && now - readyAt >= d.limits.loopGuardMs && !midSequence) {
      res.setHeader(STATE_HEADER, "ready");
      return done(
        res,
        url.path,
        502,
        "The app answered with an error",
        `${target.key} is awake and ready, so the error the ingress reported came from the app itself, not from sleep. KubeNap does not redirect, to avoid a loop.`,
        wantsHtml,
      );
    }
    const failure = d.waker.recentFailure(target);
    if (failure && seenReady === undefined) {
      res.setHeader(STATE_HEADER, "failed");
      return done(res, url.path, 504, "The app did not start in time", failure.message, wantsHtml);
    }
    const asleep = readyAt === undefined && !d.waker.inFlight(target);
    const flight = readyAt === undefined ? d.waker.wake(target) : undefined;
    if (header(req, POLL_HEADER) === "1") {
      // The ingress sent the poll here, so the app is not answering yet, whatever readiness says.
      setHeaders(res, { "Cache-Control": "no-store", "Retry-After": String(d.limits.retryAfterSeconds) });
      const body = { ...status(target), detail: `${target.key} is not answering through the ingress yet` };
      return send(res, 503, JSON_TYPE, JSON.stringify(body));
    }
    // A fresh wake starts a fresh count; otherwise the larger of the cookie's and the memory's.
    const count = asleep ? 0 : counted;
    if (count >= d.limits.maxRedirects) {
      return waitingAnswer(res, url, target, location, flight?.startedAt ?? now, wantsHtml);
    }
    const appHeld = held.get(target.key) ?? 0;
    if (appHeld >= d.limits.maxHeldPerApp || heldTotal >= d.limits.maxHeld) {
      const what = appHeld >= d.limits.maxHeldPerApp ? `for ${target.key}` : "in total";
      return done(
        res,
        url.path,
        503,
        "Too many waiting requests",
        `too many requests are already waiting ${what}`,
        wantsHtml,
        { "Retry-After": String(d.limits.retryAfterSeconds) },
      );
    }
    held.set(target.key, appHeld + 1);
    heldTotal++;
    d.metrics.holding(1);
    try {
      const outcome = await hold(flight?.done ?? Promise.resolve(readyAt ?? now), req, now);
      if (outcome.kind === "ready") {
        const settle = outcome.readyAt + d.limits.settleDelayMs - d.clock.now();
        const backoff = backoffMs(count, d.limits.redirectBackoffMs, 8 * d.limits.redirectBackoffMs);
        const left = now + d.limits.holdLimitMs - d.clock.now();
        const wait = Math.max(settle, Math.min(backoff, left));
        if (wait > 0) await new Promise((r) => d.timers.setTimeout(() => r(undefined), wait));
        if (req.socket.destroyed) return;
        memory.set(client, target.key, count + 1);
        setHeaders(res, {
          Location: location,
          "Cache-Control": "no-store",
          [STATE_HEADER]: "ready",
          "Set-Cookie": countCookie(target.key, count + 1, secure),
        });
        send(res, 307, TEXT, `${target.key} is ready: ${location}\n`);
        d.metrics.response(307);
      } else if (outcome.kind === "held-too-long") {
        // Traefik's form (?uri=): Traefik forces its own status onto this answer (the plugin rewrites it
        // to 307) and copies our headers, so a Location makes the client ask again and be held again.
        if (queryUri(url) !== undefined) res.setHeader("Location", location);
        waitingAnswer(res, url, target, location, flight?.startedAt ?? now, wantsHtml);
      }
    } catch (err) {
      fail(req, res, url, err);
    } finally {
      held.set(target.key, (held.get(target.key) ?? 1) - 1);
      if (held.get(target.key) === 0) held.delete(target.key);
      heldTotal--;
      d.metrics.holding(-1);
    }
  }

  /** Browsers get the waiting page, other clients 503 with Retry-After. */
  function waitingAnswer(
    res: ServerResponse,
    url: RequestUrl,
    target: WakeTarget,
    location: string,
    startedAt: number,
    wantsHtml: boolean,
  ): void {
    const retry = { "Retry-After": String(d.limits.retryAfterSeconds) };
    if (wantsHtml) {
      setHeaders(res, { "Cache-Control": "no-store", ...retry });
      send(res, 503, HTML, waitingPage(target.name, location, startedAt, d.clock.now()));
      d.metrics.response(503);
    } else {
      done(
        res,
        url.path,
        503,
        "The app is starting",
        `${target.key} is waking up; retry shortly`,
        false,
        retry,
      );
    }
  }

  /** Waits for the flight, at most the hold limit, and not past the client going away. */
  function hold(
    flight: Promise<number>,
    req: IncomingMessage,
    since: number,
  ): Promise<{ kind: "ready"; readyAt: number } | { kind: "held-too-long" } | { kind: "gone" }> {
    return new Promise((resolve, reject) => {
      const limit = Math.max(0, since + d.limits.holdLimitMs - d.clock.now());
      const timer = d.timers.setTimeout(() => finish({ kind: "held-too-long" }), limit);
      const gone = (): void => finish({ kind: "gone" });
      const stopping = (): void => finish({ kind: "held-too-long" });
      req.socket.once("close", gone);
      d.shutdown?.addEventListener("abort", stopping);
      let settled = false;
      if (d.shutdown?.aborted) stopping();
      function finish(
        v: { kind: "ready"; readyAt: number } | { kind: "held-too-long" } | { kind: "gone" } | Error,
      ): void {
        if (settled) return;
        settled = true;
        d.timers.clearTimeout(timer);
        req.socket.off("close", gone);
        d.shutdown?.removeEventListener("abort", stopping);
        if (v instanceof Error) reject(v);
        else resolve(v);
      }
      flight.then(
        (readyAt) => finish({ kind: "ready", readyAt }),
        (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  function done(
    res: ServerResponse,
    path: string,
    statusCode: number,
    title: string,
    detail: string,
    html: boolean,
    extra: Record<string, string> = {},
  ): void {
    d.metrics.response(statusCode);
    // Debug only: stray requests must not flood the log (wakes and failures log in the waker).
    log.debug("wake answered", { status: statusCode, title, path: path.slice(0, 200) });
    sendProblem(res, statusCode, title, detail, html, extra);
  }

  function fail(req: IncomingMessage, res: ServerResponse, url: RequestUrl, err: unknown): void {
    const html = acceptsHtml(req);
    if (err instanceof BadWakeRequest)
      return done(res, url.path, err.status, "Bad wake request", err.message, html);
    const stale = err instanceof TargetNotFound ? d.staleWatch?.() : undefined;
    if (stale !== undefined)
      return done(
        res,
        url.path,
        503,
        "KubeNap cannot see the cluster right now",
        `${err instanceof Error ? err.message : "no such app"}, but the watch of ${stale} is failing, so it may exist unseen; retry shortly`,
        html,
        { "Retry-After": String(d.limits.retryAfterSeconds) },
      );
    if (err instanceof TargetNotFound || err instanceof NotOptedInError)
      return done(res, url.path, 404, "No such app", err.message, html);
    if (err instanceof WakeTimeoutError) {
      res.setHeader(STATE_HEADER, "failed");
      return done(res, url.path, 504, "The app did not start in time", err.message, html);
    }
    log.warn("wake failed", errorFields(err));
    done(
      res,
      url.path,
      503,
      "Kubernetes API unavailable",
      "KubeNap could not reach the Kubernetes API to wake the app; retry shortly",
      html,
      { "Retry-After": String(d.limits.retryAfterSeconds) },
    );
  }

  return handle;
}
