/**
 * The http skeleton of a stock NGINX running unprivileged from `dir` (pid, logs and temp files there,
 * in the foreground, one worker); everything KubeNap-specific comes from `include` (the plugin's output).
 */
export function nginxMainConf(dir: string, include: string, workerConnections = 1024): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log notice;
events { worker_connections ${workerConnections}; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  include ${include};
}
`;
}
