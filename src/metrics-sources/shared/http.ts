import { readFileSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { ConfigError } from "../../config/config.js";

/** An HTTP answer, body as text (bounded). */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Where and how to reach a backend over HTTP. */
export interface HttpTarget {
  base: URL;
  timeoutMs: number;
  ca?: Buffer;
  /** Called per request, so a token file rotated by Kubernetes is picked up. */
  headers: () => Record<string, string>;
}

/** Largest answer accepted; a bigger one is an error, never a memory blow-up. */
const MAX_BODY = 64 * 1024 * 1024;

/** POSTs a form (or GETs when form is undefined) and resolves with the answer; rejects on network errors. */
export function send(target: HttpTarget, path: string, form?: Record<string, string>): Promise<HttpAnswer> {
  const url = new URL(
    path.replace(/^\//, ""),
    target.base.href.endsWith("/") ? target.base : `${target.base.href}/`,
  );
  const body = form ? new URLSearchParams(form).toString() : undefined;
  const headers: Record<string, string> = {
    accept: "application/json",
    ...target.headers(),
    ...(body !== undefined && {
      "content-type": "application/x-www-form-urlencoded",
      "content-length": String(Buffer.byteLength(body)),
    }),
  };
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: body === undefined ? "GET" : "POST",
        headers,
        timeout: target.timeoutMs,
        ...(target.ca && { ca: target.ca }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) req.destroy(new Error(`answer larger than ${MAX_BODY} bytes`));
          else chunks.push(c);
        });
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${target.timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Parses a base URL option, or records why it cannot be used. */
export function parseBaseUrl(option: string, text: string, problems: ConfigError[]): URL | undefined {
  if (!text) {
    problems.push(new ConfigError(option, text, "required by this metrics source"));
    return undefined;
  }
  try {
    const url = new URL(text);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http(s)");
    return url;
  } catch {
    problems.push(new ConfigError(option, text, "expected an http:// or https:// URL"));
    return undefined;
  }
}

/** Reads a small secret or CA file at start-up, or records why it cannot. Never logs the content. */
export function readSmallFile(option: string, path: string, problems: ConfigError[]): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    problems.push(
      new ConfigError(option, path, `cannot read: ${(err as NodeJS.ErrnoException).code ?? "error"}`),
    );
    return undefined;
  }
}

/** A secret's current value: the file (re-read each time, trimmed) wins over the environment value. */
export function secretReader(path: string, envValue: string | undefined): () => string | undefined {
  if (!path) return () => envValue;
  return () => readFileSync(path, "utf8").trim();
}
