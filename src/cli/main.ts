#!/usr/bin/env node
// The smppgate executable: runs the CLI on the process's arguments and exits with its code.

import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
