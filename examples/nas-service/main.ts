#!/usr/bin/env node
/**
 * `poolpilot-nas`: runs the reference NAS service over a directory until SIGTERM or SIGINT.
 * Prints one JSON line `{"url": "..."}` on stdout once listening (a parent process reads it);
 * resizes are logged as JSON lines on stderr.
 */
import { readFile } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { parseArgs } from 'node:util';
import type { HardLinkMode } from './confine.js';
import { NAS_CONTENT_MAX_FILE_BYTES, startNasService } from './server.js';

/** Default port: the URL the seed preset's `nas` service points at. */
const DEFAULT_PORT = 8080;

const USAGE = `usage: poolpilot-nas --root DIR [--port N] [--host H] [--token-file F] [--quiet]
                     [--hard-links auto|serve|refuse] [--insecure-no-token]
                     [--content-max-file BYTES]

Serves the files under DIR over HTTP (GET with ranges, HEAD, WebDAV PROPFIND), with the four
pools poolpilot resizes (buffers, handles, metadata, content), and prints {"url": "..."} once
listening.

  --root DIR      the directory to serve (required)
  --port N        TCP port (default ${DEFAULT_PORT}; 0 picks a free one)
  --host H        listen address (default 127.0.0.1)
  --token-file F  file holding the bearer token the agent routes require; without it anyone
                  who reaches the port can resize the pools: a warning on a loopback host,
                  a usage error on any other host unless --insecure-no-token
  --insecure-no-token
                  accept serving the agent routes without a token on a non-loopback host
  --hard-links M  files with several hard links: serve, refuse (403), or auto (default:
                  serve where fs.protected_hardlinks is 1, refuse elsewhere)
  --content-max-file BYTES
                  largest file the content pool keeps in memory (default ${NAS_CONTENT_MAX_FILE_BYTES};
                  a K or M suffix counts KiB or MiB; 0 keeps none)
  --quiet         do not log each resize on stderr
  --help          this text
`;

class UsageError extends Error {}

interface Args {
  readonly root: string;
  readonly port: number;
  readonly host: string;
  readonly tokenFile?: string;
  readonly quiet: boolean;
  readonly hardLinks: HardLinkMode;
  readonly contentMaxFile: number;
}

const HARD_LINK_MODES: readonly HardLinkMode[] = ['auto', 'serve', 'refuse'];

/** Loopback addresses: 127.0.0.0/8, ::1 and 127/8 mapped into IPv6. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** True when `host` only accepts connections from this machine (a name other than localhost is not trusted to). */
function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  if (family === 0) return false;
  return LOOPBACK.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/** `--content-max-file`: bytes, or KiB or MiB with a K or M suffix. */
function parseBytes(text: string | undefined): number {
  if (text === undefined) return NAS_CONTENT_MAX_FILE_BYTES;
  const match = /^(\d+)([kKmM]?)$/.exec(text);
  const unit = match?.[2]?.toLowerCase() === 'k' ? 1024 : match?.[2]?.toLowerCase() === 'm' ? 1024 ** 2 : 1;
  const bytes = match === null ? NaN : Number(match[1]) * unit;
  if (!Number.isSafeInteger(bytes) || bytes > 2 ** 31) {
    throw new UsageError(`--content-max-file: not a size in bytes (e.g. 65536 or 64K): ${text}`);
  }
  return bytes;
}

function parse(argv: readonly string[]): Args | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        root: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'token-file': { type: 'string' },
        quiet: { type: 'boolean' },
        'hard-links': { type: 'string' },
        'insecure-no-token': { type: 'boolean' },
        'content-max-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { root, port: portText, host, 'token-file': tokenFile, quiet, help } = parsed.values;
  const { 'hard-links': hardLinks = 'auto', 'insecure-no-token': insecureNoToken = false } = parsed.values;
  if (help === true) return 'help';
  if (root === undefined || root === '') throw new UsageError('--root DIR is required');
  let port = DEFAULT_PORT;
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--port: not a port: ${portText}`);
  }
  if (host === '') throw new UsageError('--host: empty');
  if (!(HARD_LINK_MODES as readonly string[]).includes(hardLinks)) {
    throw new UsageError(`--hard-links: must be one of ${HARD_LINK_MODES.join(', ')}, got ${hardLinks}`);
  }
  const contentMaxFile = parseBytes(parsed.values['content-max-file']);
  const listen = host ?? '127.0.0.1';
  if (tokenFile === undefined && !insecureNoToken && !isLoopbackHost(listen)) {
    throw new UsageError(
      `--host ${listen} is not a loopback address and no --token-file is given: anyone who reaches ` +
        'the port could resize the pools; give --token-file F (or --insecure-no-token to accept that)',
    );
  }
  return {
    root,
    port,
    host: listen,
    quiet: quiet === true,
    hardLinks: hardLinks as HardLinkMode,
    contentMaxFile,
    ...(tokenFile === undefined ? {} : { tokenFile }),
  };
}

async function readToken(file: string): Promise<string> {
  const token = (await readFile(file, 'utf8')).trim();
  if (token.length === 0) throw new Error(`${file}: the token file is empty`);
  return token;
}

async function main(): Promise<number> {
  let args: Args | 'help';
  try {
    args = parse(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`poolpilot-nas: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const { quiet } = args;

  // Listen for the stop signals before announcing the URL: a parent may signal as soon as it reads it.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  const token = args.tokenFile === undefined ? undefined : await readToken(args.tokenFile);
  const service = await startNasService({
    root: args.root,
    port: args.port,
    host: args.host,
    hardLinks: args.hardLinks,
    contentMaxFileBytes: args.contentMaxFile,
    ...(token === undefined ? {} : { token }),
    onResize: (event) => {
      if (!quiet) process.stderr.write(`${JSON.stringify({ event: 'resize', ...event })}\n`);
    },
  });
  if (token === undefined) {
    process.stderr.write(
      `poolpilot-nas: warning: no --token-file: anyone who can reach ${service.url} can resize ` +
        'the pools (PUT /poolpilot/v1/pools/...)\n',
    );
  }
  process.stdout.write(`${JSON.stringify({ url: service.url })}\n`);

  const signal = await stopped;
  // A second signal while closing ends the process at once.
  const force = (): never => process.exit(1);
  process.once('SIGTERM', force);
  process.once('SIGINT', force);
  await service.close();
  if (!quiet) process.stderr.write(`${JSON.stringify({ event: 'stopped', signal })}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`poolpilot-nas: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
