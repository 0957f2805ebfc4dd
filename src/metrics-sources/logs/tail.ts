import { open, stat, type FileHandle } from "node:fs/promises";

/** Limits that keep a tailer's memory flat whatever the file's size. */
export interface TailLimits {
  /** Bytes read per read call (one reused buffer). */
  chunkBytes: number;
  /** Longer lines are skipped (counted in `skippedLines`), never buffered whole. */
  maxLineBytes: number;
  /** Bytes read per poll at most, so one poll never blocks the process for long. */
  maxBytesPerPoll: number;
}

export const DEFAULT_LIMITS: TailLimits = {
  chunkBytes: 1 << 20,
  maxLineBytes: 64 << 10,
  maxBytesPerPoll: 256 << 20,
};

const HEAD = 128;

/**
 * Follows one log file by polling, like `tail -F`: survives rename-and-create (the old file is read
 * to its end, then the new one from its start) and copytruncate (a file that shrank, or whose first
 * bytes changed, is read again from its start); a line split across reads is joined.
 */
export class FileTailer {
  private fd: FileHandle | undefined;
  private ino = -1;
  private pos = 0;
  private head: Buffer | undefined;
  private carry: Buffer = Buffer.alloc(0);
  private skipping = false;
  private readonly buf: Buffer;
  /** When the file was first read without a break since; undefined while it cannot be read. */
  watchingSince: number | undefined;
  /** Why the file cannot be read right now. */
  problem: string | undefined;
  /** Lines dropped for being longer than maxLineBytes. */
  skippedLines = 0;
  /** Bytes read in total. */
  bytesRead = 0;

  constructor(
    readonly path: string,
    private readonly onLine: (line: string) => void,
    private readonly limits: TailLimits = DEFAULT_LIMITS,
    /** Start at the end of an existing file (a tail) or read it whole (benchmarks). */
    private readonly fromEnd = true,
  ) {
    this.buf = Buffer.allocUnsafe(limits.chunkBytes);
  }

  /** Reads what was appended since the last poll; never throws (a problem is kept in `problem`). */
  async poll(now: number): Promise<void> {
    try {
      let st;
      try {
        st = await stat(this.path);
      } catch (err) {
        // Renamed away and not yet re-created: the old file may still be written; keep reading it.
        if (this.fd) return void (await this.readAvailable());
        throw err;
      }
      if (this.fd && st.ino !== this.ino) {
        await this.readAvailable(Infinity);
        await this.closeFd();
      }
      if (!this.fd) {
        const first = this.ino === -1;
        this.fd = await open(this.path, "r");
        this.ino = (await this.fd.stat()).ino;
        this.pos = first && this.fromEnd ? st.size : 0;
        this.carry = Buffer.alloc(0);
        this.head = undefined;
        this.watchingSince ??= now;
      } else if (st.size < this.pos || (await this.headChanged())) {
        this.pos = 0;
        this.carry = Buffer.alloc(0);
        this.head = undefined;
      }
      await this.readAvailable();
      this.problem = undefined;
    } catch (err) {
      this.problem = `cannot read ${this.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      this.watchingSince = undefined;
      await this.closeFd();
    }
  }

  /** The file's first bytes (up to HEAD), to notice a copytruncate followed by fast writes. */
  private async readHead(n: number): Promise<Buffer | undefined> {
    if (!this.fd || n <= 0) return undefined;
    const b = Buffer.alloc(n);
    const { bytesRead } = await this.fd.read(b, 0, n, 0);
    return bytesRead === n ? b : undefined;
  }

  private async headChanged(): Promise<boolean> {
    if (!this.head) return false;
    const now = await this.readHead(this.head.length);
    return !now || !now.equals(this.head);
  }

  private async readAvailable(max = this.limits.maxBytesPerPoll): Promise<void> {
    if (!this.fd) return;
    let total = 0;
    while (total < max) {
      const { bytesRead } = await this.fd.read(this.buf, 0, this.buf.length, this.pos);
      if (bytesRead === 0) break;
      this.pos += bytesRead;
      total += bytesRead;
      this.bytesRead += bytesRead;
      this.consume(this.buf.subarray(0, bytesRead));
    }
    if ((this.head?.length ?? 0) < HEAD) this.head = await this.readHead(Math.min(HEAD, this.pos));
  }

  /** Splits a chunk into lines; the tail after the last newline waits for the next chunk. */
  private consume(chunk: Buffer): void {
    const last = chunk.lastIndexOf(10);
    if (last < 0) return this.keep(chunk);
    let text: string;
    if (this.carry.length > 0) text = Buffer.concat([this.carry, chunk.subarray(0, last)]).toString();
    else text = chunk.toString("utf8", 0, last);
    this.carry = Buffer.alloc(0);
    let start = 0;
    if (this.skipping) {
      const nl = text.indexOf("\n");
      this.skipping = false;
      start = nl < 0 ? text.length + 1 : nl + 1;
    }
    while (start <= text.length) {
      let nl = text.indexOf("\n", start);
      if (nl < 0) nl = text.length;
      if (nl - start > this.limits.maxLineBytes) this.skippedLines++;
      else if (nl > start) this.emit(text.slice(start, nl));
      start = nl + 1;
    }
    this.keep(chunk.subarray(last + 1));
  }

  /** Keeps a partial line for the next read, unless it is already too long (then it is skipped). */
  private keep(rest: Buffer): void {
    if (rest.length === 0 || this.skipping) return;
    if (this.carry.length + rest.length > this.limits.maxLineBytes) {
      this.skipping = true;
      this.skippedLines++;
      this.carry = Buffer.alloc(0);
    } else {
      this.carry = Buffer.concat([this.carry, rest]);
    }
  }

  private emit(line: string): void {
    this.onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  }

  private async closeFd(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    await fd?.close().catch(() => undefined);
  }

  /** Stops following the file. */
  close(): Promise<void> {
    return this.closeFd();
  }
}
