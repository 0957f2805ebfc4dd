// Access-log source throughput: generates a log file (1 GiB by default) of NGINX or Envoy lines for
// 500 Ingress hosts, then has the logs source read it through the same tailer, parser and Ingress
// route table it uses in production, and prints MB/s and memory.
//   npm run bench -- logs [bytes] [format]      e.g. npm run bench -- logs 1073741824 nginx-combined
import { mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { V1Ingress } from "@kubernetes/client-node";
import { LOG_FORMATS, type LogFormat } from "../src/metrics-sources/logs/formats.js";
import { LogsSource } from "../src/metrics-sources/logs.js";

const BYTES = Number(process.argv[2] ?? 1 << 30);
const FORMAT = (process.argv[3] ?? "nginx-json") as LogFormat;
if (!LOG_FORMATS.includes(FORMAT)) throw new Error(`format must be one of ${LOG_FORMATS.join(", ")}`);
const HOSTS = 500;

function lineFor(i: number): string {
  const host = `app-${i % HOSTS}.example`;
  const path = `/items/${i % 997}?page=${i % 13}`;
  switch (FORMAT) {
    case "nginx-json":
    case "envoy-json":
      return JSON.stringify({
        time: "2026-11-26T14:00:00+00:00",
        remote_addr: "10.1.2.3",
        host,
        request_uri: path,
        status: 200,
        bytes_sent: 1234,
        request_time: 0.004,
        http_user_agent: "Mozilla/5.0 (X11; Linux x86_64)",
      });
    case "nginx-combined":
      return `10.1.2.3 - - [26/Nov/2026:14:00:00 +0000] "GET ${path} HTTP/1.1" 200 1234 "-" "Mozilla/5.0 (X11; Linux x86_64)" 311 0.004 [bench-app-${i % HOSTS}-80] [] 10.0.1.5:8080 1234 0.004 200 0123456789abcdef`;
    case "envoy":
      return `[2026-11-26T14:00:00.310Z] "GET ${path} HTTP/1.1" 200 - 0 1234 4 3 "10.1.2.3" "Mozilla/5.0 (X11; Linux x86_64)" "0123456789abcdef" "${host}" "10.0.1.5:8080"`;
  }
}

const dir = mkdtempSync(join(tmpdir(), "kubenap-bench-logs-"));
const file = join(dir, "access.log");
try {
  // A block of distinct lines, written again and again up to the size asked for.
  const block = Buffer.from(`${Array.from({ length: 20_000 }, (_, i) => lineFor(i)).join("\n")}\n`);
  const fd = openSync(file, "w");
  for (let written = 0; written < BYTES; written += block.length) writeSync(fd, block);
  closeSync(fd);
  const size = statSync(file).size;

  const ingresses: V1Ingress[] = Array.from({ length: HOSTS }, (_, i) => ({
    metadata: { namespace: "bench", name: `app-${i}` },
    spec: {
      rules: [
        {
          host: `app-${i}.example`,
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: `app-${i}`, port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  }));
  const never = { now: () => Date.now(), setTimeout: () => 0, clearTimeout: () => undefined };
  const source = new LogsSource(
    {
      files: [file],
      format: FORMAT,
      pollIntervalMs: 1000,
      ingresses: { list: () => ingresses },
      readExisting: true,
    },
    never,
  );
  const rssStart = process.memoryUsage().rss;
  let rssPeak = rssStart;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  const t0 = process.hrtime.bigint();
  while (source.bytesRead() < size) await source.poll();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  const targets = ingresses.map((_, i) => ({ namespace: "bench", name: `app-${i}`, idleAfterMs: 60_000 }));
  const seen = [...(await source.lastActivity(targets)).values()].filter(
    (r) => "kind" in r && r.kind === "seen",
  );
  await source.close();
  const mb = size / 1e6;
  console.log(
    `logs: format=${FORMAT} bytes=${size} seconds=${seconds.toFixed(2)} mb_per_s=${(mb / seconds).toFixed(1)} ` +
      `apps_seen=${seen.length}/${HOSTS} rss_start_mb=${(rssStart / 1e6).toFixed(0)} rss_peak_mb=${(rssPeak / 1e6).toFixed(0)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
