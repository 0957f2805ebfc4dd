import type { KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";

/** One page of a list call: at most `limit` items, from where the previous page's token left off. */
export interface ListPage {
  limit: number;
  _continue?: string;
}

/** A list call that takes a page (the generated clients' `limit` and `_continue` parameters). */
export type PagedList<T extends KubernetesObject> = (page: ListPage) => Promise<KubernetesListObject<T>>;

/**
 * The token for the next page: `_continue` in the generated clients' typed lists, `continue` in the
 * raw JSON the custom-objects client returns.
 */
function continueToken(list: KubernetesListObject<KubernetesObject>): string | undefined {
  const meta: { _continue?: string; continue?: string } | undefined = list.metadata;
  return meta?._continue ?? meta?.continue;
}

/** Items per page, as client-go's pager asks for. */
const PAGE_SIZE = 500;
/** A list longer than this many pages (5 million objects at 500) is a server bug, not a cluster. */
const MAX_PAGES = 10_000;

/**
 * Lists every page of one consistent snapshot (the server pins it with the continue token; the last
 * page carries its resourceVersion) and transforms each page's items before asking for the next, so a
 * large list (10,000 Services) is never held whole as parsed JSON, only as the trimmed objects kept.
 */
export async function listAllPages<T extends KubernetesObject>(
  list: PagedList<T>,
  transform?: (obj: T) => T,
): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let _continue: string | undefined;
  for (let pages = 1; pages <= MAX_PAGES; pages++) {
    const page = await list({ limit: PAGE_SIZE, ...(_continue !== undefined && { _continue }) });
    for (const o of page.items) items.push(transform ? transform(o) : o);
    _continue = continueToken(page) || undefined;
    if (_continue === undefined) return { ...page, items };
  }
  throw new Error(`the list did not end within ${MAX_PAGES} pages of ${PAGE_SIZE}`);
}
