/**
 * The headless Chromium the dashboard tests drive: /usr/bin/chromium with a fresh profile.
 * The tests are skipped when it is absent, unless CI=true, where its absence fails them.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { buildServer } from '../../controller/api/server.js';
import type { Controller } from '../../controller/controller.js';
import type { Clock } from '../../core/clock.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Where screenshots go. */
export const OUTPUT = resolve('test-output');
export const WAIT = { timeout: 15_000 };

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** `skip` for a describe: false when Chromium is there or under CI=true, else why not. */
export const skipWithoutChromium: false | string =
  existsSync(CHROMIUM) || process.env.CI === 'true'
    ? false
    : `no Chromium at ${CHROMIUM} (apt-get install chromium); under CI=true this fails instead`;

export interface Chromium {
  readonly context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Launches Chromium on a profile of its own, 1440 x 900, and makes sure OUTPUT exists. */
export async function launchChromium(): Promise<Chromium> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`CI=true and no Chromium at ${CHROMIUM}: install the Debian package chromium`);
  }
  await mkdir(OUTPUT, { recursive: true });
  const profile = await mkdtemp(join(tmpdir(), 'poolpilot-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      viewport: { width: 1440, height: 900 },
    });
    return {
      context,
      close: async () => {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(profile, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Chromium for the enclosing suite: launched in its before hook, closed in its after hook;
 * `context` is there once the suite's tests run.
 */
export function chromiumDuringSuite(): { readonly context: BrowserContext } {
  let browser: Chromium | undefined;
  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });
  return {
    get context(): BrowserContext {
      if (browser === undefined) throw new Error('Chromium is not running');
      return browser.context;
    },
  };
}

/** A controller's dashboard served on loopback and opened in a new page (not yet navigated). */
export interface OpenDashboard {
  readonly base: string;
  readonly page: Page;
  /** Page errors and console errors, as they come. */
  readonly errors: string[];
  /** Closes the page, stops the controller and closes the server. */
  close(): Promise<void>;
}

/**
 * Serves `controller`'s API and dashboard on 127.0.0.1 at a free port, starts the controller and
 * opens a page in `context` that collects its errors. `close()` undoes all three.
 */
export async function openDashboard(
  context: BrowserContext,
  controller: Controller,
  clock: Clock,
): Promise<OpenDashboard> {
  const app = await buildServer({ controller, listenHost: '127.0.0.1', clock });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  controller.start();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  return {
    base,
    page,
    errors,
    close: async () => {
      await page.close();
      await controller.stop();
      await app.close();
    },
  };
}
