import { createServer, type Server } from "node:http";

/** A request the fake received (keys are compared, never stored). */
export interface SeenRequest {
  path: string;
  query: string;
  at: number;
}

/**
 * A stand-in for Datadog's metrics query API (`GET /api/v1/query`) on 127.0.0.1, answering in
 * Datadog's JSON: one series per reporting (namespace, service) tag set, rolled up per interval from
 * the request times the test records, zeros included. It can refuse the keys (403) or rate-limit
 * (429 with Datadog's X-RateLimit-* headers).
 */
export class FakeDatadog {
  port = 0;
  readonly requests: SeenRequest[] = [];
  readonly hits = new Map<string, number[]>();
  readonly reporting = new Set<string>();
  apiKey = "test-api-key";
  appKey = "test-app-key";
  rateLimitedFor = 0;
  private server: Server | undefined;

  /** Records a request to namespace/service now. */
  hit(ns: string, svc: string): void {
    const k = `${ns}/${svc}`;
    this.reporting.add(k);
    this.hits.set(k, [...(this.hits.get(k) ?? []), Date.now()]);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      this.requests.push({ path: url.pathname, query: url.searchParams.get("query") ?? "", at: Date.now() });
      const json = (status: number, body: unknown, headers: Record<string, string> = {}): void =>
        void res
          .writeHead(status, { "content-type": "application/json", ...headers })
          .end(JSON.stringify(body));
      if (url.pathname !== "/api/v1/query") return json(404, { errors: ["Not found"] });
      if (req.headers["dd-api-key"] !== this.apiKey || req.headers["dd-application-key"] !== this.appKey) {
        return json(403, { errors: ["Forbidden"] });
      }
      if (this.rateLimitedFor > 0) {
        return json(
          429,
          { errors: ["Too many requests"] },
          {
            "x-ratelimit-limit": "100",
            "x-ratelimit-period": "3600",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": String(this.rateLimitedFor),
            "x-ratelimit-name": "query_metrics",
          },
        );
      }
      const query = url.searchParams.get("query") ?? "";
      const from = Number(url.searchParams.get("from"));
      const to = Number(url.searchParams.get("to"));
      const by = /by \{([^,}]+),([^}]+)\}/.exec(query);
      const rollup = Number(/\.rollup\(sum, *(\d+)\)/.exec(query)?.[1] ?? 60);
      if (!by || !Number.isFinite(from) || !Number.isFinite(to))
        return json(400, { errors: ["Error parsing query"] });
      const [nsTag, svcTag] = [by[1] ?? "", by[2] ?? ""];
      const series = [...this.reporting].map((k) => {
        const [ns, svc] = k.split("/");
        const times = this.hits.get(k) ?? [];
        const points: [number, number][] = [];
        for (let b = Math.floor(from / rollup) * rollup; b <= to; b += rollup) {
          const n = times.filter((t) => t >= b * 1000 && t < (b + rollup) * 1000).length;
          points.push([b * 1000, n]);
        }
        const scope = `${nsTag}:${ns},${svcTag}:${svc}`;
        return {
          aggr: "sum",
          attributes: {},
          display_name: "trace.http.request.hits",
          end: to * 1000,
          expression: query,
          interval: rollup,
          length: points.length,
          metric: "trace.http.request.hits",
          pointlist: points,
          query_index: 0,
          scope,
          start: from * 1000,
          tag_set: [`${nsTag}:${ns}`, `${svcTag}:${svc}`],
          unit: null,
        };
      });
      json(200, {
        status: "ok",
        res_type: "time_series",
        resp_version: 1,
        query,
        from_date: from * 1000,
        to_date: to * 1000,
        series,
        values: [],
        times: [],
        message: "",
        group_by: [nsTag, svcTag],
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, "127.0.0.1", r));
    const addr = this.server.address();
    this.port = typeof addr === "object" && addr ? addr.port : 0;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }
}
