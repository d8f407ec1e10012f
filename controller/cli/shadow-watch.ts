/**
 * The shadow policy's file for `poolpilot run`: found relative to the configuration file's
 * folder, loaded at start, reloaded when it changes and on SIGHUP (as the configuration is), and
 * followed when a reload of the configuration names another file or none.
 */
import { dirname, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { loadConfigFile, loadConfigText } from '../../policies/loader.js';
import type { Config } from '../../policies/types.js';
import type { ShadowSource } from '../config-reloader.js';
import { ConfigWatcher } from '../config-watcher.js';
import type { Controller } from '../controller.js';
import type { Logger } from '../logger.js';

/** The path of the shadow policy's file `config` names (read from `configFile`), if any. */
export function shadowPath(configFile: string, config: Config): string | undefined {
  return config.shadow === undefined ? undefined : resolve(dirname(configFile), config.shadow);
}

/** Loads the shadow policy's file `config` names, with its text (for the watcher). */
export async function loadShadow(
  configFile: string,
  config: Config,
): Promise<(ShadowSource & { readonly text: string }) | undefined> {
  const file = shadowPath(configFile, config);
  if (file === undefined) return undefined;
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const result = text === undefined ? await loadConfigFile(file) : loadConfigText(text, file);
  return { result, source: file, text: text ?? '' };
}

export class ShadowWatch {
  private file: string | undefined;
  private watcher: ConfigWatcher | undefined;

  constructor(
    private readonly configFile: string,
    private readonly controller: Pick<Controller, 'reloadShadow'>,
    private readonly logger: Logger,
  ) {}

  /** Watches the shadow file loaded at start (`text` as it was loaded), if there is one. */
  start(loaded: { readonly source: string; readonly text: string } | undefined): void {
    if (loaded !== undefined) this.watch(loaded.source, loaded.text);
  }

  /** The configuration was reloaded: a shadow file named anew is loaded, one dropped is gone. */
  async follow(config: Config): Promise<void> {
    const file = shadowPath(this.configFile, config);
    if (file === this.file) return;
    this.stopWatching();
    if (file === undefined) {
      await this.controller.reloadShadow(undefined, this.file ?? '');
      return;
    }
    const loaded = await loadShadow(this.configFile, config);
    this.watch(file, loaded?.text ?? '');
    if (loaded) await this.controller.reloadShadow(loaded.result, file);
  }

  /** SIGHUP: reads the shadow file again. */
  async reload(): Promise<void> {
    const file = this.file;
    if (file !== undefined) await this.controller.reloadShadow(await loadConfigFile(file), file);
  }

  stop(): void {
    this.stopWatching();
  }

  private watch(file: string, text: string): void {
    this.file = file;
    this.watcher = new ConfigWatcher({
      file,
      onChange: (next) => void this.controller.reloadShadow(loadConfigText(next, file), file),
      onError: (err) => this.logger.warn({ err: err.message }, `cannot read ${file}: ${err.message}`),
    });
    this.watcher.start(text);
  }

  private stopWatching(): void {
    this.watcher?.stop();
    this.watcher = undefined;
    this.file = undefined;
  }
}
