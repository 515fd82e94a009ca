/**
 * Opening inputs that deliver as they go (pipes, FIFOs, process substitutions, sockets).
 *
 * fs read streams read in libuv's thread pool, and a read on an idle pipe holds a pool thread
 * until data comes: four idle pipes stall every other file operation of the process (reading
 * the next capture file, writing `--write` output). `openStream` reads FIFOs and sockets through
 * a pipe handle instead (event-driven, like standard input); regular files keep the fs stream.
 * No imports from the rest of capture/, so that input.ts can use it.
 */
import { open as openCb, createReadStream, fstatSync, statSync } from 'node:fs';
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
 * A readable stream over `path`: a FIFO (named pipe, `<(...)`) through a pipe handle
 * (event-driven, no thread-pool read), everything else through an fs read stream of `highWaterMark` chunks.
 * Opening a named pipe waits (in the thread pool) until a writer opens it, as `cat` does.
 */
export async function openStream(path: string, highWaterMark = 1 << 18): Promise<Readable> {
  let fifo = false;
  try {
    const st = statSync(path);
    fifo = st.isFIFO();
  } catch {
    // let the fs stream report the error the usual way
  }
  if (!fifo) return createReadStream(path, { highWaterMark });
  const fd = await openFd(path, 'r');
  return new net.Socket({ fd, readable: true, writable: false });
}
