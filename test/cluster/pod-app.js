// The app a pod of the e2e world runs (started by the pod agent inside the pod's own network
// namespace): echoes method, path and body, counts requests in http_requests_total (Prometheus text
// format on /metrics), and can answer 503 for its first FAIL_FOR_MS after start, like an app that is
// "ready" before it can serve. Plain JS so that it starts fast. Prints "listening" once it listens.
import { Buffer } from "node:buffer";
import { createServer } from "node:http";
import { setTimeout } from "node:timers";

const port = Number(process.env.PORT ?? "8080");
const pod = process.env.POD_NAME ?? "pod";
const namespace = process.env.POD_NAMESPACE ?? "default";
const failUntil = Date.now() + Number(process.env.FAIL_FOR_MS ?? "0");
const counts = new Map();

const escapeHtml = (s) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (d) => chunks.push(d));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    let code = 200;
    if (req.url === "/metrics") {
      const lines = ["# HELP http_requests_total Requests served.", "# TYPE http_requests_total counter"];
      for (const [k, v] of counts) lines.push(`http_requests_total{${k}} ${v}`);
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(`${lines.join("\n")}\n`);
      return;
    }
    if (Date.now() < failUntil) code = 503;
    const key = `method="${req.method}",code="${code}"`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (code !== 200) {
      res.writeHead(code, { "content-type": "text/plain" }).end("app still warming up\n");
      return;
    }
    const echo = { app: "pod-app", pod, namespace, method: req.method, path: req.url, body };
    if ((req.headers.accept ?? "").includes("text/html")) {
      res
        .writeHead(200, { "content-type": "text/html; charset=utf-8" })
        .end(
          `<!doctype html><title>${escapeHtml(pod)}</title><h1 id="app">hello from ${escapeHtml(pod)}</h1>` +
            `<pre id="echo">${escapeHtml(JSON.stringify(echo))}</pre>`,
        );
    } else {
      res.writeHead(200, { "content-type": "application/json" }).end(`${JSON.stringify(echo)}\n`);
    }
  });
});
// START_DELAY_MS: an app that takes this long before it listens (the pod is Ready only then).
setTimeout(
  () => server.listen(port, "0.0.0.0", () => process.stdout.write(`listening on ${port}\n`)),
  Number(process.env.START_DELAY_MS ?? "0"),
);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
