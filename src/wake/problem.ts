import type { Response } from "express";

/** Answers an RFC 9457 problem (application/problem+json), or a small HTML page when HTML was asked for. */
export function sendProblem(
  res: Response,
  status: number,
  title: string,
  detail: string,
  wantsHtml: boolean,
  extra: Record<string, string> = {},
): void {
  res.status(status).set({ "Cache-Control": "no-store", ...extra });
  if (wantsHtml) {
    const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    res
      .type("html")
      .send(
        `<!doctype html><html lang="en"><meta charset="utf-8"><title>${status} ${esc(title)}</title>` +
          `<body style="font:16px system-ui,sans-serif;margin:3em"><h1>${esc(title)}</h1><p>${esc(detail)}</p></body></html>\n`,
      );
    return;
  }
  res.type("application/problem+json").send(JSON.stringify({ type: "about:blank", title, status, detail }));
}
