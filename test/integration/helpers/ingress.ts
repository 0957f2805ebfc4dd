import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { readyEndpoints } from "./kube.js";

/** A server listening on a free port of 127.0.0.1, and how to close it. */
export interface LocalServer {
  port: number;
  close(): Promise<void>;
}

async function listenLocal(server: Server): Promise<LocalServer> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const close = (): Promise<void> =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return { port, close };
}

/** Where the stand-in ingress sends traffic. */
export interface IngressRoute {
  namespace: string;
  service: string;
  ingress: string;
  /** The app itself, on 127.0.0.1 (kwok pod IPs are never contacted). */
  appPort: number;
  wakePort: number;
  /**
   * Like NGINX's `proxy_intercept_errors on` with `error_page 502 503 504`: the app's own 5xx answers
   * also go to KubeNap (the set-up in which a warming-up app could loop a browser).
   */
  interceptAppErrors?: boolean;
}

/**
 * Integration-level stand-in for ingress-nginx's behaviour (real NGINX/Traefik are the e2e suite):
 * while the Service has a ready endpoint it proxies to the app; otherwise it answers from the
 * default backend (KubeNap) with the headers ingress-nginx sends (X-Code, X-Namespace, …) plus the
 * client's own headers, as NGINX's error_page does.
 */
export async function startIngress(route: IngressRoute): Promise<LocalServer> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const ready = (await readyEndpoints(route.namespace, route.service)) > 0;
      const headers = { ...req.headers };
      // Buffered, so that an intercepted answer can send the same body to KubeNap (as NGINX does).
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = Buffer.concat(chunks);
      const toWake = {
        port: route.wakePort,
        path: "/wake",
        headers: {
          ...headers,
          "x-code": "503",
          "x-format": req.headers.accept ?? "",
          "x-original-uri": req.url ?? "/",
          "x-namespace": route.namespace,
          "x-ingress-name": route.ingress,
          "x-service-name": route.service,
          "x-service-port": "80",
        },
      };
      const forward = (
        target: { port: number; path: string; headers: typeof headers },
        intercept: boolean,
      ): void => {
        const up = request(
          {
            host: "127.0.0.1",
            port: target.port,
            path: target.path,
            method: req.method,
            headers: target.headers,
          },
          (r) => {
            if (intercept && [502, 503, 504].includes(r.statusCode ?? 0)) {
              r.resume();
              forward(toWake, false);
              return;
            }
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          },
        );
        up.on("error", () => res.writeHead(502).end("upstream error\n"));
        up.end(body);
      };
      if (ready)
        forward({ port: route.appPort, path: req.url ?? "/", headers }, route.interceptAppErrors === true);
      else forward(toWake, false);
    })().catch(() => res.writeHead(500).end());
  });
  return listenLocal(server);
}

/**
 * The app: answers every request on 127.0.0.1 with a recognisable page; with `warmUpMs`, it answers
 * 503 for that long after its first request (an app that is Ready before it can serve).
 */
export async function startApp(o: { warmUpMs?: number } = {}): Promise<LocalServer> {
  let firstAt: number | undefined;
  const server = createServer((req, res) => {
    firstAt ??= Date.now();
    if (o.warmUpMs !== undefined && Date.now() - firstAt < o.warmUpMs) {
      res.writeHead(503, { "content-type": "text/plain" }).end("warming up\n");
      return;
    }
    res
      .writeHead(200, { "content-type": "text/html" })
      .end(`<!doctype html><title>app</title><h1 id="app">hello from the app</h1><p>${req.url ?? ""}</p>`);
  });
  return listenLocal(server);
}
