// The live view's model: what the Deployments say (replicas, KubeNap's annotations) and what KubeNap
// logged (its verdict per sweep, sleeps, wakes), reduced to one row per app. Pure: time is passed in.
import type { V1Deployment } from "@kubernetes/client-node";
import { KEYS } from "../src/annotations/keys.js";
import { parseDuration } from "../src/duration.js";
import type { KubenapEvent } from "./kubenap-log.js";

/** What the view shows for one app. */
export interface AppRow {
  app: string;
  state: "awake" | "asleep" | "waking" | "unknown";
  /** Ready / wanted replicas, e.g. "1/1", "0/0". */
  replicas: string;
  /** Countdown to sleep, or why there is none. */
  sleep: string;
  /** The last wake: "woke in 214 ms at 12:00:03". */
  lastWake: string;
}

interface AppState {
  wanted?: number;
  ready?: number;
  idleAfterMs?: number;
  verdict?: Extract<KubenapEvent, { kind: "verdict" }>;
  wake?: { at: number; ms: number };
  waking?: boolean;
  wakeFailed?: string;
}

/** Seconds, rounded up, for a countdown ("23 s", "1 m 05 s"). */
export function formatSeconds(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, "0")} s`;
}

/** HH:MM:SS in local time. */
export const clockTime = (ms: number): string => new Date(ms).toTimeString().slice(0, 8);

/**
 * When the monitor will put the app to sleep as it saw things at its last sweep: idleAfter after the
 * last traffic (reason "active") or after the last start (reason "grace", a lower bound), in ms since
 * epoch; undefined when its verdict does not say.
 */
export function sleepsAt(
  verdict: { at: number; reason: string; agoMs?: number },
  idleAfterMs: number,
): number | undefined {
  if ((verdict.reason !== "active" && verdict.reason !== "grace") || verdict.agoMs === undefined)
    return undefined;
  return verdict.at - verdict.agoMs + idleAfterMs;
}

/** The countdown column for an awake app. */
export function countdown(s: { verdict?: AppState["verdict"]; idleAfterMs?: number }, now: number): string {
  const v = s.verdict;
  if (!v) return "waiting for KubeNap's first sweep";
  if (v.reason === "unknown") return `unknown, stays awake: ${v.detail}`;
  if (v.reason === "hpa") return "never: an HPA targets it";
  const at = s.idleAfterMs === undefined ? undefined : sleepsAt(v, s.idleAfterMs);
  if (at === undefined) return v.detail;
  const left = at - now;
  if (left > 0) return `sleeps in ${formatSeconds(left)}`;
  return "any moment (KubeNap is confirming no traffic)";
}

/** The state of every sample app, fed by Deployment events and KubeNap's log. */
export class DemoModel {
  private readonly apps = new Map<string, AppState>();
  /** Lines worth keeping on screen ("12:00:03 kubenap-demo/blog woke in 214 ms"), newest last. */
  readonly history: string[] = [];
  /** How many lines were ever noted (history keeps the last 50). */
  noted = 0;

  constructor(keys: readonly string[]) {
    for (const k of keys) this.apps.set(k, {});
  }

  /** A Deployment added or changed. */
  onDeployment(dep: V1Deployment): void {
    const key = `${dep.metadata?.namespace ?? ""}/${dep.metadata?.name ?? ""}`;
    const s = this.apps.get(key);
    if (!s) return;
    s.wanted = dep.spec?.replicas ?? 0;
    s.ready = dep.status?.readyReplicas ?? 0;
    const idle = dep.metadata?.annotations?.[KEYS.idleAfter.key];
    const parsed = idle === undefined ? null : parseDuration(idle);
    if (parsed !== null) s.idleAfterMs = parsed;
    if (s.wanted === 0) s.waking = false;
  }

  /** Something KubeNap logged. */
  onKubenap(ev: KubenapEvent): void {
    if (ev.kind === "source-failed") {
      this.note(ev.at, `metrics source failed: ${ev.detail} (apps stay awake)`);
      return;
    }
    const s = this.apps.get(ev.app);
    if (!s) return;
    switch (ev.kind) {
      case "verdict":
        s.verdict = ev;
        break;
      case "slept":
        s.verdict = undefined;
        this.note(
          ev.at,
          `${ev.app} put to sleep${ev.idleForMs === undefined ? "" : ` after ${formatSeconds(ev.idleForMs)} without traffic`}`,
        );
        break;
      case "scaled-up":
        s.waking = true;
        s.wakeFailed = undefined;
        this.note(ev.at, `${ev.app} waking: a request reached KubeNap's wake handler`);
        break;
      case "woke":
        s.waking = false;
        s.verdict = undefined;
        s.wake = { at: ev.at, ms: ev.ms };
        this.note(ev.at, `${ev.app} woke in ${ev.ms} ms`);
        break;
      case "wake-failed":
        s.waking = false;
        s.wakeFailed = ev.detail;
        this.note(ev.at, `${ev.app} ${ev.detail}`);
        break;
    }
  }

  /** A line for the Recent list from elsewhere (e.g. a failing port forward). */
  notice(at: number, text: string): void {
    this.note(at, text);
  }

  private note(at: number, text: string): void {
    this.history.push(`${clockTime(at)} ${text}`);
    this.noted++;
    if (this.history.length > 50) this.history.splice(0, this.history.length - 50);
  }

  /** One row per app, as of now. */
  rows(now: number): AppRow[] {
    return [...this.apps].map(([app, s]) => {
      const replicas = s.wanted === undefined ? "?" : `${s.ready ?? 0}/${s.wanted}`;
      const lastWake = s.wakeFailed
        ? s.wakeFailed
        : s.wake
          ? `woke in ${s.wake.ms} ms at ${clockTime(s.wake.at)}`
          : "";
      if (s.wanted === undefined) return { app, state: "unknown", replicas, sleep: "", lastWake };
      if (s.wanted === 0)
        return { app, state: "asleep", replicas, sleep: "asleep: the next request wakes it", lastWake };
      if ((s.ready ?? 0) === 0 || s.waking) return { app, state: "waking", replicas, sleep: "", lastWake };
      return { app, state: "awake", replicas, sleep: countdown(s, now), lastWake };
    });
  }
}
