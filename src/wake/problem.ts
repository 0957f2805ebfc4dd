import type { ServerResponse } from "node:http";

/**
 * Answers an RFC 9457 problem (application/problem+json), or a small HTML page when HTML was asked for.
 * Written with node:http's own calls: this is the answer to most stray requests, so it stays cheap.
 */
export function sendProblem(
  res: ServerResponse,
  status: number,
  title: string,
  detail: string,
  wantsHtml: boolean,
  extra: Record<string, string> = {},
): void {
  let body: string;
  let type: string;
  if (wantsHtml) {
    const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    type = "text/html; charset=utf-8";
    body =
      `<!doctype html><html lang="en"><meta charset="utf-8"><title>${status} ${esc(title)}</title>` +
      `<body style="font:16px system-ui,sans-serif;margin:3em"><h1>${esc(title)}</h1><p>${esc(detail)}</p></body></html>\n`;
  } else {
    type = "application/problem+json; charset=utf-8";
    body = JSON.stringify({ type: "about:blank", title, status, detail });
  }
  res.statusCode = status;
  res.setHeader("Cache-Control", "no-store");
  for (const [k, v] of Object.entries(extra)) res.setHeader(k, v);
  res.setHeader("Content-Type", type);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(body);
}
