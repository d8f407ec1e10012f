/**
 * Where `poolpilot run` writes its JSON log. In a pod it goes to stdout, where the cluster's log
 * collector reads it. In the interactive console of the embedded default the human lines of
 * `tick-printer.ts` are the output, one per decision, so the JSON goes to a file instead (named
 * at start) and only warnings and errors reach the terminal, as short human lines on stderr.
 * `--log-file FILE` sends the JSON to FILE in either case.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger as PinoLogger } from 'pino';
import { API_LOG_REDACT_PATHS } from '../api/auth.js';
import type { CommandIo } from './io.js';
import type { LogLevel } from './run-options.js';

export interface LogOutputOptions {
  readonly level: LogLevel;
  /** Where the JSON goes; undefined: stdout, or a file in the temporary folder when interactive. */
  readonly file?: string;
  /** The embedded default's console: human lines on the terminal, the JSON elsewhere. */
  readonly interactive: boolean;
}

export interface LogOutput {
  readonly logger: PinoLogger;
  /** The file the JSON goes to, when it is not stdout. */
  readonly file?: string;
}

const LEVEL_NAMES: Readonly<Record<number, string>> = { 40: 'warning', 50: 'error', 60: 'fatal' };

/** The default JSON log file of an interactive run: one per process, in the temporary folder. */
export function interactiveLogFile(pid = process.pid): string {
  return join(tmpdir(), `poolpilot-${pid}.log`);
}

/**
 * Builds the logger. Throws when the file cannot be opened (the caller says so and exits): the
 * file is opened at once, synchronously, created readable by its owner only.
 */
export function openLogOutput(options: LogOutputOptions, io: CommandIo): LogOutput {
  const base = {
    level: options.level,
    base: { name: 'poolpilot' },
    redact: { paths: [...API_LOG_REDACT_PATHS], censor: '[redacted]' },
  };
  const file = options.file ?? (options.interactive ? interactiveLogFile() : undefined);
  if (file === undefined) return { logger: pino(base) };
  // Synchronous: the log is small, and the last lines must be on disk when the process exits.
  const json = pino.destination({ dest: file, append: true, sync: true, mode: 0o600 });
  if (!options.interactive) return { logger: pino(base, json), file };
  const console = { write: (line: string): void => io.stderr(humanLine(line)) };
  const streams = pino.multistream([
    { level: 'trace', stream: json },
    { level: 'warn', stream: console },
  ]);
  return { logger: pino(base, streams), file };
}

/** `warning: <msg>` from one JSON log line; the line itself when it is not one. */
export function humanLine(line: string): string {
  try {
    const entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
    const level = typeof entry.level === 'number' ? (LEVEL_NAMES[entry.level] ?? 'log') : 'log';
    if (typeof entry.msg === 'string') return `${level}: ${entry.msg}\n`;
  } catch {
    // not JSON: shown as it is
  }
  return line.endsWith('\n') ? line : `${line}\n`;
}
