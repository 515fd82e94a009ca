#!/usr/bin/env node
// Entry point: run the compiled command line; an unexpected fault is one line, never a trace.
import { main } from '../dist/cli/main.js';

main().then(
  (status) => {
    process.exitCode = status;
  },
  (e) => {
    process.stderr.write(`vxdecode: internal error: ${e && e.message ? e.message : e}\n`);
    if (process.env.VXDECODE_DEBUG) process.stderr.write(`${e && e.stack}\n`);
    process.exitCode = 3;
  },
);
