import { ApiException } from "@kubernetes/client-node";

/** HTTP status of a client-node error, or undefined for network errors. */
export function apiStatus(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** True when an update was rejected because the object changed since it was read. */
export const isConflict = (err: unknown): boolean => apiStatus(err) === 409;
/** True when the object does not exist. */
export const isNotFound = (err: unknown): boolean => apiStatus(err) === 404;

/** Loggable fields of an error: code and reason, never whole objects or request bodies. */
export function errorFields(err: unknown): { code?: number; reason: string } {
  if (err instanceof ApiException) {
    let reason = `HTTP ${err.code}`;
    try {
      const body = (typeof err.body === "string" ? JSON.parse(err.body) : err.body) as { message?: string };
      if (body?.message) reason = body.message;
    } catch {
      // body was not JSON; the status code is the reason
    }
    return { code: err.code, reason: reason.slice(0, 500) };
  }
  return { reason: (err instanceof Error ? err.message : String(err)).slice(0, 500) };
}
