/**
 * Resolves `poolpilot run`'s settings from flags and the environment (flags win), validating
 * each value once so the rest of the program gets typed, checked options.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface RunOptions {
  readonly help: boolean;
  /** Undefined: run the embedded default. */
  readonly config?: string;
  readonly host: string;
  readonly port: number;
  readonly procRoot: string;
  readonly cgroupRoot: string;
  readonly stateDir?: string;
  readonly logLevel: LogLevel;
  /** Where the JSON log goes; undefined: stdout (a file in the temporary folder for the demo). */
  readonly logFile?: string;
  readonly demoPort: number;
  /** How long SIGTERM waits for in-flight pushes and writes before abandoning them. */
  readonly shutdownTimeoutMs: number;
  /**
   * POOLPILOT_SERVICE_POLL_MARGIN: how far below the cache band's `high` a service's own cache
   * may be and still be read at the fast path's cadence (`service` source); 1 reads every service
   * at every sample. Undefined: the default (`DEFAULT_SERVICE_POLL_MARGIN`).
   */
  readonly servicePollMargin?: number;
}

type Env = Readonly<Record<string, string | undefined>>;

export function parseRunOptions(args: readonly string[], env: Env): RunOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: 'boolean', short: 'h' },
        config: { type: 'string', short: 'c' },
        host: { type: 'string' },
        port: { type: 'string' },
        'proc-root': { type: 'string' },
        'cgroup-root': { type: 'string' },
        'state-dir': { type: 'string' },
        'log-level': { type: 'string' },
        'log-file': { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const v = parsed.values;
  const pick = (flag: string | undefined, name: string): string | undefined => {
    const value = flag ?? env[name];
    return value === '' ? undefined : value;
  };
  const logLevel = pick(v['log-level'], 'POOLPILOT_LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new UsageError(`log level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const config = pick(v.config, 'POOLPILOT_CONFIG');
  const stateDir = pick(v['state-dir'], 'POOLPILOT_STATE_DIR');
  const logFile = pick(v['log-file'], 'POOLPILOT_LOG_FILE');
  return {
    help: v.help ?? false,
    ...(config !== undefined ? { config } : {}),
    host: pick(v.host, 'POOLPILOT_HOST') ?? '127.0.0.1',
    port: parsePort(pick(v.port, 'POOLPILOT_PORT') ?? '9464', 'port'),
    procRoot: pick(v['proc-root'], 'POOLPILOT_PROC_ROOT') ?? '/proc',
    cgroupRoot: pick(v['cgroup-root'], 'POOLPILOT_CGROUP_ROOT') ?? '/sys/fs/cgroup',
    ...(stateDir !== undefined ? { stateDir } : {}),
    logLevel: logLevel as LogLevel,
    ...(logFile !== undefined ? { logFile } : {}),
    demoPort: parsePort(env.POOLPILOT_DEMO_PORT ?? '8080', 'POOLPILOT_DEMO_PORT'),
    shutdownTimeoutMs: parseMs(env.POOLPILOT_SHUTDOWN_TIMEOUT_MS ?? '10000', 'POOLPILOT_SHUTDOWN_TIMEOUT_MS'),
    ...marginOption(env.POOLPILOT_SERVICE_POLL_MARGIN),
  };
}

function marginOption(text: string | undefined): { servicePollMargin?: number } {
  if (text === undefined || text === '') return {};
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(n <= 1)) {
    throw new UsageError(`POOLPILOT_SERVICE_POLL_MARGIN must be a number from 0 to 1, got "${text}"`);
  }
  return { servicePollMargin: n };
}

function parseMs(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${what} must be a number of milliseconds, got "${text}"`);
  return Number(text);
}

function parsePort(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535)
    throw new UsageError(`${what} must be a port number 0-65535, got "${text}"`);
  return n;
}
