import { createServer, type RequestListener, type Server } from "node:http";

/** Bounds of the wake handler's HTTP server. */
export interface ServerLimits {
  holdLimitMs: number;
  settleDelayMs: number;
  maxConnections: number;
}

/**
 * How long a client may take to send its request headers: well below the hold limit, so a slowloris
 * client cannot keep a connection longer than a held request does.
 */
export const headersTimeoutFor = (holdLimitMs: number): number =>
  Math.max(1000, Math.min(10_000, Math.floor(holdLimitMs / 2)));

/** The wake handler's HTTP server with its size, time and connection bounds. */
export function createWakeServer(app: RequestListener, l: ServerLimits): Server {
  const headersTimeout = headersTimeoutFor(l.holdLimitMs);
  const server = createServer(
    {
      maxHeaderSize: 16 * 1024,
      headersTimeout,
      // The longest legitimate request: held, then the settle delay and the redirect back-off.
      requestTimeout: Math.max(headersTimeout, l.holdLimitMs + l.settleDelayMs + 30_000),
      // Node checks both timeouts on this interval (30 s by default, longer than the timeouts).
      connectionsCheckingInterval: Math.max(100, Math.min(500, Math.floor(headersTimeout / 4))),
    },
    app,
  );
  server.maxConnections = l.maxConnections;
  return server;
}
