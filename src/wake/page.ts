const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
const jsString = (s: string): string =>
  JSON.stringify(s)
    .replace(/</g, "\\u003c")
    .replace(/\u2028|\u2029/g, "");

/** The header the waiting page sends when polling, and KubeNap's answer header. */
export const POLL_HEADER = "x-kubenap-poll";
export const STATE_HEADER = "X-KubeNap-State";

/**
 * A self-contained waiting page (no external assets). It polls the original URL with the poll header:
 * while KubeNap answers (X-KubeNap-State: waking) it waits; any other answer means the app itself
 * answered, so it navigates there.
 */
export function waitingPage(app: string, url: string, startedAt: number, now: number): string {
  const elapsed = Math.max(0, Math.round((now - startedAt) / 1000));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Waking ${escapeHtml(app)}…</title>
<noscript><meta http-equiv="refresh" content="5"></noscript>
<style>body{font:16px/1.5 system-ui,sans-serif;display:flex;min-height:90vh;align-items:center;justify-content:center;color:#222}
main{text-align:center;max-width:32em}.dot{display:inline-block;width:.6em;height:.6em;border-radius:50%;background:#3b82f6;animation:p 1s infinite alternate}
@keyframes p{from{opacity:.2}to{opacity:1}}</style></head>
<body><main><h1><span class="dot"></span> Waking up ${escapeHtml(app)}</h1>
<p>The app was asleep to save resources. It is starting now; this page continues by itself.</p>
<p>Elapsed: <span id="elapsed">${elapsed}</span> s</p></main>
<script>
(function(){var url=${jsString(url)},t0=Date.now()-${elapsed}*1000;
setInterval(function(){document.getElementById("elapsed").textContent=Math.round((Date.now()-t0)/1000)},1000);
function poll(){fetch(url,{headers:{"X-KubeNap-Poll":"1"},cache:"no-store",redirect:"manual"}).then(function(r){
if(r.headers.get("${STATE_HEADER}")==="waking"){setTimeout(poll,1000)}else{location.replace(url)}
}).catch(function(){setTimeout(poll,2000)})}
setTimeout(poll,1000)})();
</script></body></html>
`;
}
