/** Timestamps for people: UTC time of day with the precision the capture has. */
import type { Frame } from '../capture/frame.js';

function pad(n: number, w: number): string {
  const s = String(n);
  return s.length >= w ? s : '0'.repeat(w - s.length) + s;
}

// frames come in time order: the hours, minutes and seconds of the last second seen
let lastSec = NaN;
let lastHms = '';

/** `n` in `w` digits, for 0 ≤ n < 10^w (else as it is, like pad). */
function frac(n: number, w: number): string {
  const m = w === 9 ? 1e9 : 1e6;
  return n >= 0 && n < m && Number.isInteger(n) ? String(m + n).slice(1) : pad(n, w);
}

/** `20:21:44`: the UTC time of day of a second since the epoch. */
export function clockText(sec: number): string {
  const day = sec % 86400;
  return `${pad(Math.floor(day / 3600), 2)}:${pad(Math.floor(day / 60) % 60, 2)}:${pad(day % 60, 2)}`;
}

/** `20:21:44.837063` (µs captures) or `20:21:44.837063123` (ns captures), UTC. */
export function timeOfDay(f: Frame): string {
  if (f.noTimestamp) return '--:--:--';
  const sec = f.tsSec;
  let hms: string;
  if (sec === lastSec) hms = lastHms;
  else {
    hms = clockText(sec);
    lastSec = sec;
    lastHms = hms;
  }
  return f.source.tsUnitsPerSec > 1e6 ? `${hms}.${frac(f.tsNsec, 9)}` : `${hms}.${frac(Math.floor(f.tsNsec / 1000), 6)}`;
}

/** A duration in nanoseconds as `311 µs`, `1.25 ms`, `2.5 s`. */
export function duration(ns: number): string {
  const a = Math.abs(ns);
  if (a < 1000) return `${ns} ns`;
  if (a < 1e6) return `${Math.round(ns / 1000)} µs`;
  if (a < 1e9) return `${(ns / 1e6).toFixed(a < 1e7 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(3)} s`;
}
