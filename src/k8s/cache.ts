/** Read access to an informer's cache (Watched implements it; unit tests use a Map-backed fake). */
export interface Cache<T> {
  list(namespace?: string): T[];
  get(name: string, namespace?: string): T | undefined;
}
