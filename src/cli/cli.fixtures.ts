// Runs the smppgate CLI in-process for tests, capturing what it prints.

import { runCli } from './run.js';

/** `smppgate <argv>` with `env`: its exit code and everything it wrote to stdout and stderr. */
export async function cli(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env,
  });
  return { code, stdout, stderr };
}
