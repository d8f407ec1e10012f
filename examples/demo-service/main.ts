#!/usr/bin/env node
/**
 * Runs the demo pooled service until SIGTERM or SIGINT.
 * Prints one JSON line `{"url": "..."}` on stdout once listening (a parent process reads it);
 * resizes are logged as JSON lines on stderr.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startDemoService } from './server.js';

const USAGE = `usage: demo-service [--port N] [--token-file F]

Runs the poolpilot demo pooled service on 127.0.0.1 and prints {"url": "..."} once listening.

  --port N        TCP port, 0 (the default) for a free one
  --token-file F  file holding the bearer token the agent routes require
  --quiet         do not log each resize on stderr
  --help          this text
`;

class UsageError extends Error {}

interface Args {
  readonly port: number;
  readonly tokenFile?: string;
  readonly help: boolean;
  readonly quiet: boolean;
}

function parse(argv: readonly string[]): Args {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'token-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        quiet: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { port: portText, 'token-file': tokenFile, help, quiet } = parsed.values;
  let port = 0;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--port: not a port: ${portText}`);
  }
  return {
    port,
    help: help === true,
    quiet: quiet === true,
    ...(tokenFile === undefined ? {} : { tokenFile }),
  };
}

async function readToken(file: string): Promise<string> {
  const token = (await readFile(file, 'utf8')).trim();
  if (token.length === 0) throw new Error(`${file}: the token file is empty`);
  return token;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parse(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`demo-service: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  // Listen for the stop signals before announcing the URL: a parent may signal as soon as it reads it.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  const token = args.tokenFile === undefined ? undefined : await readToken(args.tokenFile);
  const service = await startDemoService({
    port: args.port,
    ...(token === undefined ? {} : { token }),
    onResize: (event) => {
      if (!args.quiet) process.stderr.write(`${JSON.stringify({ event: 'resize', ...event })}\n`);
    },
  });
  process.stdout.write(`${JSON.stringify({ url: service.url })}\n`);

  const signal = await stopped;
  // A second signal while closing ends the process at once.
  const force = (): never => process.exit(1);
  process.once('SIGTERM', force);
  process.once('SIGINT', force);
  await service.close();
  if (!args.quiet) process.stderr.write(`${JSON.stringify({ event: 'stopped', signal })}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo-service: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
