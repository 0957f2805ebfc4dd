// What the live view learns from KubeNap's own log (JSON lines of `kubenap run --log-format json
// --log-level debug`): the monitor's verdict on each sweep, sleeps, and wakes with their duration.
// Only these messages are read; anything else is ignored.

/** One thing KubeNap said about an app (key `namespace/name`), at a time (ms since epoch). */
export type KubenapEvent =
  | {
      kind: "verdict";
      at: number;
      app: string;
      /** decide()'s reason: active, grace, unknown, not-running, hpa. */
      reason: string;
      detail: string;
      /** For active ("last traffic N ms ago") and grace ("started N ms ago"): N. */
      agoMs?: number;
    }
  | { kind: "slept"; at: number; app: string; idleForMs?: number }
  | { kind: "scaled-up"; at: number; app: string }
  | { kind: "woke"; at: number; app: string; ms: number }
  | { kind: "wake-failed"; at: number; app: string; detail: string }
  | { kind: "source-failed"; at: number; detail: string };

type Fields = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

/** Parses one log line; undefined for lines that say nothing the view shows. */
export function parseKubenapLine(line: string, fallbackNow: number): KubenapEvent | undefined {
  if (!line.startsWith("{")) return undefined;
  let f: Fields;
  try {
    f = JSON.parse(line) as Fields;
  } catch {
    return undefined;
  }
  const stamp = Date.parse(str(f.timestamp));
  const at = Number.isNaN(stamp) ? fallbackNow : stamp;
  const app = f.namespace && f.deployment ? `${str(f.namespace)}/${str(f.deployment)}` : "";
  switch (f.message) {
    case "stays awake": {
      if (!app) return undefined;
      const detail = str(f.detail);
      const ago = /(\d+) ms ago/.exec(detail)?.[1];
      return { kind: "verdict", at, app, reason: str(f.reason), detail, ...(ago && { agoMs: Number(ago) }) };
    }
    case "put to sleep": {
      if (!app) return undefined;
      const idle = num(f.idleForMs);
      return { kind: "slept", at, app, ...(idle !== undefined && { idleForMs: idle }) };
    }
    case "scaled up":
      return app ? { kind: "scaled-up", at, app } : undefined;
    case "ready": {
      const ms = num(f.timeToReadyMs);
      return app && ms !== undefined ? { kind: "woke", at, app, ms } : undefined;
    }
    case "wake timed out":
    case "wake failed":
      return app ? { kind: "wake-failed", at, app, detail: str(f.message) } : undefined;
    case "metrics source failed":
      return { kind: "source-failed", at, detail: str(f.reason) };
    default:
      return undefined;
  }
}
