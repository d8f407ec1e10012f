// The shadow policy (`shadow: FILE`), one click away: a button under the decisions, shown while a
// shadow policy is configured, opens its own decision feed (`/api/v1/decisions?shadow=true`),
// read again after each tick while open. Its targets are on the pools table (pools.js).
import { DecisionFeed } from './feed.js';

const SHADOW_DECISIONS = '/api/v1/decisions?shadow=true&limit=100';

export class ShadowView {
  constructor({ box, toggle, name, error, panel, list, empty, countEl, filter }) {
    Object.assign(this, { box, toggle, name, error, panel });
    this.feed = new DecisionFeed({ list, empty, countEl, filter });
    this.open = false;
    this.reading = null;
    toggle.addEventListener('click', () => this.setOpen(!this.open));
  }

  /** From the status or a `config` event: the shadow policy's name and last error, if any. */
  setMeta(meta) {
    const shadow = meta?.shadow;
    this.box.hidden = !shadow;
    if (!shadow) return this.setOpen(false);
    this.name.textContent = shadow.name ? `${shadow.name}, never pushed` : 'not loaded';
    this.error.hidden = !shadow.lastError;
    this.error.textContent = shadow.lastError ? `Shadow reload failed: ${shadow.lastError}` : '';
  }

  /** A tick ended: the open feed reads the shadow's decisions again. */
  ticked() {
    if (this.open) void this.read();
  }

  setOpen(open) {
    this.open = open;
    this.panel.hidden = !open;
    this.toggle.setAttribute('aria-expanded', String(open));
    if (open) void this.read();
  }

  /** One read at a time; a tick during a read is covered by it. */
  read() {
    this.reading ??= (async () => {
      try {
        const res = await fetch(SHADOW_DECISIONS, {
          headers: { accept: 'application/json' },
          cache: 'no-store',
        });
        if (!res.ok) return;
        const { decisions } = await res.json();
        this.feed.merge(decisions, { fresh: this.feed.entries.size > 0 });
      } catch {
        // The main feed's connection line says when the controller cannot be read.
      } finally {
        this.reading = null;
      }
    })();
    return this.reading;
  }
}
