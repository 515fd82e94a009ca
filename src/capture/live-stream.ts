/**
 * Opening inputs that deliver as they go (pipes, FIFOs, process substitutions, sockets).
 *
 * fs read streams read in libuv's thread pool, and a read on an idle pipe holds a pool thread
 * until data comes: four idle pipes stall every other file operation of the process (reading
 * the next capture file, writing `--write` output). `openStream` reads FIFOs and sockets through
 * a pipe handle instead (event-driven, like standard input); regular files are read in chunks
 * through a FileHandle (fileChunks).
 * No imports from the rest of capture/, so that input.ts can use it.
 */
import { open as openCb, fstatSync, statSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';

const openFd = promisify(openCb);

/** Is this path a pipe, FIFO, socket or character device (something that delivers as it goes)? */
export function isLivePath(path: string): boolean {
  try {
    const st = path === '-' ? fstatSync(0) : statSync(path);
    return st.isFIFO() || st.isSocket() || st.isCharacterDevice();
  } catch {
    return false;
  }
}

/**
 * The chunks of `path`: a FIFO (named pipe, `<(...)`) through a pipe handle (event-driven, no
 * thread-pool read), everything else read `chunkSize` bytes at a time. Opening a named pipe
 * waits (in the thread pool) until a writer opens it, as `cat` does.
 */
export async function openStream(path: string, chunkSize = 1 << 18): Promise<AsyncIterable<Uint8Array> & { destroy?: () => void }> {
  let fifo = false;
  try {
    const st = statSync(path);
    fifo = st.isFIFO();
  } catch {
    // let the open report the error the usual way
  }
  if (!fifo) return fileChunks(path, chunkSize);
  const fd = await openFd(path, 'r');
  return new net.Socket({ fd, readable: true, writable: false }) as Readable;
}

/** The first chunk of a file: small, so that the first frames of a merge of many files come at once. */
const FIRST_CHUNK = 16 << 10;

/**
 * A file's bytes in chunks, the next one read while the last is parsed. The first is small:
 * a merge of ten captures waits for the first chunk of each before it hands on a frame, and ten
 * 256 kB chunks (20 000 frames) took 30 ms to parse with code not yet optimised.
 */
async function* fileChunks(path: string, chunkSize: number): AsyncGenerator<Uint8Array> {
  const fh = await openFile(path, 'r');
  try {
    const read = async (n: number): Promise<Uint8Array | undefined> => {
      const buf = Buffer.allocUnsafe(n);
      const { bytesRead } = await fh.read(buf, 0, n, null);
      return bytesRead ? buf.subarray(0, bytesRead) : undefined;
    };
    let next = read(Math.min(FIRST_CHUNK, chunkSize));
    for (;;) {
      const chunk = await next;
      if (!chunk) return;
      next = read(chunkSize);
      // (a read in flight when the consumer stops is met below, before the file is closed)
      next.catch(() => undefined);
      yield chunk;
    }
  } finally {
    await fh.close();
  }
}
