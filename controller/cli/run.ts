/**
 * `poolpilot run`: load the configuration (or the embedded default), start the control loop
 * and the HTTP API, and run until SIGTERM or SIGINT, then drain and exit 0.
 *
 * Shutdown is bounded: the controller, the server and the demo service stop side by side; what
 * has not stopped by `POOLPILOT_SHUTDOWN_TIMEOUT_MS` is abandoned (logged as `shutdown deadline
 * passed: abandoning`, with what was left), the server's connections are cut, and the process
 * exits 0 at most `EXIT_GRACE_MS` later whatever still holds the event loop.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatConfigError, loadConfigFile, loadConfigText } from '../../policies/loader.js';
import type { LoadResult } from '../../policies/loader.js';
import { presetPath } from '../../policies/presets.js';
import type { Config } from '../../policies/types.js';
import { CacheSignalProbe } from '../../probes/cache-signal.js';
import { isLoopbackHost } from '../api/auth.js';
import { buildServer } from '../api/server.js';
import { API_TOKEN_FILE_ENV, resolveApiToken } from '../api/token-source.js';
import { systemClock } from '../../core/clock.js';
import { ConfigWatcher } from '../config-watcher.js';
import { Controller } from '../controller.js';
import { startDemoService, withDemoTarget } from '../demo.js';
import type { DemoService } from '../demo.js';
import type { Logger } from '../logger.js';
import type { CacheSampler } from '../sensing.js';
import { statsObserver } from '../observer.js';
import { statsMemorySampler } from '../memory-sampler.js';
import { serviceTokenFiles } from '../service-token.js';
import { SysinfoCacheSampler } from '../sysinfo-cache.js';
import { looseTokenFileWarner } from '../token-file.js';
import type { CommandIo } from './io.js';
import { parseRunOptions } from './run-options.js';
import type { RunOptions } from './run-options.js';
import { USAGE } from './usage.js';
import { UsageError } from './usage-error.js';
import { openState } from './state-setup.js';
import type { OpenedState } from './state-setup.js';
import { printTicks } from './tick-printer.js';
import { openLogOutput } from './log-output.js';
import { loadShadow, ShadowWatch } from './shadow-watch.js';
import type { LogOutput } from './log-output.js';

/** How long after the drain (or its deadline) the process is made to exit, in ms. */
export const EXIT_GRACE_MS = 200;

export async function runCommand(
  args: readonly string[],
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>> = process.env,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<number> {
  let options: RunOptions;
  try {
    options = parseRunOptions(args, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`poolpilot run: ${err.message}\n${USAGE.run}\n`);
    return 2;
  }
  if (options.help) {
    io.stdout(USAGE.run + '\n');
    return 0;
  }

  const source = options.config ?? presetPath('seed');
  // The watcher compares against the text as it was loaded, so a change made from here on is seen
  // even before the watcher starts.
  const loadedText = await readFile(source, 'utf8').catch(() => undefined);
  const loaded = loadedText === undefined ? await loadConfigFile(source) : loadConfigText(loadedText, source);
  if (!loaded.ok) {
    for (const e of loaded.errors) io.stderr(formatConfigError(e) + '\n');
    return 1;
  }
  let config: Config = loaded.config;
  const shadow = options.config === undefined ? undefined : await loadShadow(options.config, config);
  if (shadow !== undefined && !shadow.result.ok) {
    for (const e of shadow.result.errors) io.stderr(formatConfigError(e) + '\n');
    return 1;
  }
  let demo: DemoService | undefined;
  if (options.config === undefined) {
    try {
      demo = await startDemoService(options.demoPort, { cgroupRoot: options.cgroupRoot });
    } catch (err) {
      io.stderr(`poolpilot run: could not start the demo service: ${(err as Error).message}\n`);
      return 1;
    }
    config = withDemoTarget(config, demo);
  }

  const apiToken = resolveApiToken(env);
  if ('error' in apiToken) {
    io.stderr(`poolpilot run: ${apiToken.error}\n`);
    return 2;
  }
  let logOutput: LogOutput;
  try {
    const file = options.logFile;
    logOutput = openLogOutput(
      { level: options.logLevel, interactive: demo !== undefined, ...(file !== undefined ? { file } : {}) },
      io,
    );
  } catch (err) {
    io.stderr(`poolpilot run: cannot open the log file: ${(err as Error).message}\n`);
    await demo?.stop();
    return 1;
  }
  const { logger } = logOutput;
  // The bin's shebang gives node its memory flags; this shows whether they reached it.
  logger.debug({ execArgv: process.execArgv, node: process.version }, 'node flags');
  const warnLooseTokenFiles = looseTokenFileWarner(logger);
  const apiTokenFile = env[API_TOKEN_FILE_ENV];
  warnLooseTokenFiles([
    ...(apiTokenFile !== undefined ? [{ path: apiTokenFile, what: API_TOKEN_FILE_ENV }] : []),
    ...serviceTokenFiles(config.services),
  ]);
  let state: OpenedState | undefined;
  if (options.stateDir !== undefined) {
    try {
      state = await openState(options.stateDir, logger);
    } catch (err) {
      io.stderr(`poolpilot run: state directory ${options.stateDir}: ${(err as Error).message}\n`);
      await demo?.stop();
      return 1;
    }
  }
  const controller = new Controller({
    ...(state
      ? {
          store: state.store,
          journal: state.journal,
          restoredDecisions: state.restoredDecisions,
          ...(state.restored ? { restored: state.restored } : {}),
        }
      : {}),
    config,
    ...(shadow ? { shadow } : {}),
    source: options.config ?? 'embedded:seed',
    cache: cacheSampler(options, config),
    cacheFactory: (next) => cacheSampler(options, next),
    observe: statsObserver({ clock: systemClock }),
    memorySampler: statsMemorySampler({ clock: systemClock }),
    ...(options.servicePollMargin !== undefined ? { servicePollMargin: options.servicePollMargin } : {}),
    logger,
    defaultMetrics: true,
  });
  const server = await buildServer({
    controller,
    logger,
    listenHost: options.host,
    clock: systemClock,
    ...(apiToken.token !== undefined ? { token: apiToken.token } : {}),
  });
  if (apiToken.token === undefined && !isLoopbackHost(options.host)) {
    logger.warn({ host: options.host }, 'no API token: mutating routes are refused off loopback');
  }
  try {
    await server.listen({ host: options.host, port: options.port });
  } catch (err) {
    io.stderr(`poolpilot run: cannot listen on ${options.host}:${options.port}: ${(err as Error).message}\n`);
    await controller.stop();
    await demo?.stop();
    return 1;
  }
  const address = server.server.address();
  const port = address !== null && typeof address === 'object' ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const base = `http://${host}:${port}`;
  io.stdout(
    `poolpilot ${config.policy.name}: dashboard ${base}/ status ${base}/api/v1/status metrics ${base}/metrics\n`,
  );
  if (demo) {
    io.stdout(`demo service at ${demo.url} — put load on it with: npm run load\n`);
    io.stdout(
      'path' in demo.cgroup
        ? `its memory cgroup: ${demo.cgroup.path} (limit ${demo.cgroup.limitBytes >> 20} MiB) — squeeze it with: npm run squeeze\n`
        : `it runs without a memory cgroup (${demo.cgroup.reason}), so npm run squeeze cannot squeeze it\n`,
    );
    if (logOutput.file !== undefined) io.stdout(`JSON log: ${logOutput.file}\n`);
  }
  controller.start();
  const stopPrinting = demo ? printTicks(controller, io) : () => undefined;
  const shadowWatch = options.config ? new ShadowWatch(options.config, controller, logger) : undefined;
  shadowWatch?.start(shadow);
  const stopReloading = options.config
    ? watchConfig(options.config, loadedText ?? '', controller, logger, shadowWatch, (loaded) => {
        if (loaded.ok) warnLooseTokenFiles(serviceTokenFiles(loaded.config.services));
        return loaded;
      })
    : () => undefined;

  const signal = await waitForSignal(['SIGTERM', 'SIGINT']);
  logger.info({ signal }, `${signal}: draining`);
  stopPrinting();
  stopReloading();
  shadowWatch?.stop();
  // Side by side: a controller waiting on a hung service must not keep the server listening.
  const pending = new Set<string>();
  const part = (name: string, work: Promise<unknown> | undefined): Promise<void> => {
    if (work === undefined) return Promise.resolve();
    pending.add(name);
    return work.then(
      () => void pending.delete(name),
      (err: unknown) => {
        pending.delete(name);
        logger.warn({ err }, `${name} did not stop cleanly: ${(err as Error).message}`);
      },
    );
  };
  const drained = await withDeadline(
    Promise.all([
      part('controller', controller.stop()),
      part('server', server.close()),
      part('demo', demo?.stop()),
    ]),
    options.shutdownTimeoutMs,
  );
  if (!drained) {
    logger.warn(
      { deadlineMs: options.shutdownTimeoutMs, pending: [...pending] },
      `shutdown deadline passed: abandoning ${[...pending].join(', ')}`,
    );
    // Streams, keep-alive sockets and half-sent requests: cut, or the process never ends.
    server.server.closeAllConnections();
  }
  logger.info({ drained }, 'stopped');
  logger.flush?.();
  // The last resort: whatever still holds the event loop (a hung socket, a stuck tick), the
  // process ends. Unreferenced, so a clean drain exits at once without waiting for it.
  setTimeout(() => exit(0), EXIT_GRACE_MS).unref();
  return 0;
}

/** Reloads the configuration when its file changes and on SIGHUP; returns the stop function. */
function watchConfig(
  file: string,
  loadedText: string,
  controller: Controller,
  logger: Logger,
  shadow: ShadowWatch | undefined,
  checked: (loaded: LoadResult) => LoadResult,
): () => void {
  // A configuration in force that names another shadow file (or none) moves the shadow with it.
  const reload = async (result: LoadResult): Promise<void> => {
    if ((await controller.reload(checked(result))) && result.ok) await shadow?.follow(result.config);
  };
  const watcher = new ConfigWatcher({
    file,
    onChange: (text) => void reload(loadConfigText(text, file)),
    onError: (err) => logger.warn({ err: err.message }, `cannot read ${file}: ${err.message}`),
  });
  watcher.start(loadedText);
  const onHup = (): void => {
    logger.info({ file }, 'SIGHUP: reloading the configuration');
    void loadConfigFile(file).then(reload);
    void shadow?.reload();
  };
  process.on('SIGHUP', onHup);
  return () => {
    watcher.stop();
    process.off('SIGHUP', onHup);
  };
}

/** Resolves true when `work` ends within `ms`, false when the deadline comes first. */
async function withDeadline(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  const done = work.then(
    () => true as const,
    () => true as const,
  );
  const result = await Promise.race([done, deadline]);
  clearTimeout(timer);
  return result;
}

/** /proc where there is one; systeminformation on a development machine without it. */
function cacheSampler(options: RunOptions, config: Config): CacheSampler {
  if (!existsSync(join(options.procRoot, 'meminfo')) && options.procRoot === '/proc') {
    return new SysinfoCacheSampler();
  }
  return new CacheSignalProbe({
    procRoot: options.procRoot,
    cgroupRoot: options.cgroupRoot,
    spec: config.policy.signals.cache,
    clock: systemClock,
  });
}

function waitForSignal(signals: readonly NodeJS.Signals[]): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals): void => {
      for (const s of signals) process.off(s, handler);
      resolve(signal);
    };
    for (const s of signals) process.on(s, handler);
  });
}
