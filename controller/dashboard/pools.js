// The pools table: every pool's reported capacity against poolpilot's target, grouped by service
// (one `<tbody>` each, its header row naming the service and its health), with a bar that places
// both on the pool's [min, max] range and a button to override the pool. While a shadow policy
// runs, a dashed mark on the bar and a line under the target say what it would have the pool be.
// Each pool's health (README "Pool health") beside them: its hit ratio over the last minute (the
// return ratio in its tooltip), the bytes it holds (objects in use in the tooltip) and, while
// poolpilot suspects it of leaking, a "leak suspected" flag first in its state, with the evidence.
import { bytes, count, flag, h, percent } from './dom.js';

const COLUMNS = 9;
/** The pool health fields of the status and of each `signals` event's pools. */
const HEALTH = ['hitRatio', 'returnRatio', 'inUse', 'bytes', 'leakSuspected'];

export class PoolsView {
  constructor({ table, countEl, filter, onOverride }) {
    this.table = table;
    this.countEl = countEl;
    this.filter = filter;
    this.onOverride = onOverride;
    filter.addEventListener('input', () => this.applyFilter());
    /** `service/pool` to the pool's latest figures and its row's cells. */
    this.pools = new Map();
    this.services = [];
    this.shape = null;
  }

  /** From `/api/v1/status`: services, their health and every pool. */
  setStatus(status) {
    this.services = status.services ?? [];
    for (const s of this.services) {
      for (const p of s.pools) {
        const key = `${s.name}/${p.name}`;
        // `schedule`, `shadowTarget` and `leak` are absent once gone: set them either way.
        const { schedule, shadowTarget, leak } = p;
        this.pools.set(key, {
          ...this.pools.get(key),
          service: s.name,
          pool: p.name,
          ...p,
          schedule,
          shadowTarget,
          leak,
        });
      }
    }
    this.render();
  }

  /** From a `signals` event: capacity and target of every pool after a tick. */
  setTargets(pools) {
    for (const p of pools ?? []) {
      const known = this.pools.get(`${p.service}/${p.pool}`);
      if (!known) continue;
      const { capacity, target, min, max, shadowTarget } = p;
      Object.assign(known, { capacity, target, min, max, shadowTarget });
      // The reason and schedule of the same decision as the target (an older controller's event
      // carries no reason: the status's stays until it is read again).
      if (typeof p.reason === 'string') {
        known.reason = p.reason;
        known.schedule = p.schedule;
      }
      // Pool health, when the controller sends it (an older one's event has none: the status's stays).
      if (typeof p.leakSuspected === 'boolean') {
        for (const field of HEALTH) known[field] = p[field] ?? null;
        known.leak = p.leak;
      }
    }
    this.render();
  }

  /** The figures of one pool, for the override dialog. */
  get(service, pool) {
    return this.pools.get(`${service}/${pool}`);
  }

  render() {
    const shape = JSON.stringify(
      this.services.map((s) => [s.name, s.healthy, s.mode, s.lastError, s.pools.map((p) => p.name)]),
    );
    if (shape !== this.shape) {
      this.shape = shape;
      this.rebuild();
    }
    for (const s of this.services) for (const p of s.pools) this.fill(this.pools.get(`${s.name}/${p.name}`));
  }

  rebuild() {
    for (const body of [...this.table.tBodies]) body.remove();
    const total = this.services.reduce((n, s) => n + s.pools.length, 0);
    this.countEl.textContent =
      total === 0
        ? ''
        : `(${total} in ${this.services.length} service${this.services.length === 1 ? '' : 's'})`;
    if (this.services.length === 0) {
      this.table.append(
        h(
          'tbody',
          {},
          h('tr', {}, h('td', { colspan: COLUMNS, class: 'empty', text: 'No service is configured.' })),
        ),
      );
      return;
    }
    for (const s of this.services) {
      const health = s.healthy ? flag('healthy', 'good') : flag('unreachable', 'bad');
      const header = h(
        'tr',
        {},
        h(
          'th',
          { scope: 'rowgroup', colspan: COLUMNS, class: 'group' },
          s.name,
          health,
          s.mode === 'observe' ? flag('observe only: nothing pushed', 'warn') : null,
          !s.healthy && s.lastError
            ? h('span', { class: 'small error-text', text: ` ${s.lastError}` })
            : null,
        ),
      );
      const body = h(
        'tbody',
        {},
        header,
        ...s.pools.map((p) => this.row(this.pools.get(`${s.name}/${p.name}`))),
      );
      this.table.append(body);
    }
    this.applyFilter();
  }

  /** Shows the pools whose `service/pool` contains the filter's words, and their services. */
  applyFilter() {
    const words = this.filter.value.trim().toLowerCase();
    for (const body of this.table.tBodies) {
      let shown = 0;
      for (const row of body.rows) {
        if (!row.dataset.where) continue;
        row.hidden = words !== '' && !row.dataset.where.toLowerCase().includes(words);
        if (!row.hidden) shown += 1;
      }
      body.hidden = words !== '' && shown === 0;
    }
  }

  row(pool) {
    const cells = {
      capacity: h('td', { class: 'num' }),
      target: h('td', { class: 'num' }),
      hitRatio: h('td', { class: 'num hit-ratio' }),
      bytes: h('td', { class: 'num bytes' }),
      range: h('td', { class: 'num' }),
      fill: h('span', { class: 'bar-fill' }),
      mark: h('span', { class: 'bar-target' }),
      shadowMark: h('span', { class: 'bar-shadow', hidden: true }),
      shadow: h('span', { class: 'shadow-target small', hidden: true }),
      state: h('td', { class: 'state' }),
    };
    pool.cells = cells;
    const button = h('button', {
      type: 'button',
      class: 'small',
      text: 'Override',
      'aria-label': `Override ${pool.service}/${pool.pool}`,
    });
    button.addEventListener('click', () => this.onOverride(pool.service, pool.pool));
    cells.row = h(
      'tr',
      { 'data-where': `${pool.service}/${pool.pool}` },
      h('th', { scope: 'row', text: pool.pool }),
      cells.capacity,
      cells.target,
      cells.hitRatio,
      cells.bytes,
      cells.range,
      h(
        'td',
        { 'aria-hidden': 'true' },
        h('div', { class: 'bar' }, cells.fill, cells.mark, cells.shadowMark),
      ),
      cells.state,
      h('td', {}, button),
    );
    return cells.row;
  }

  fill(pool) {
    const c = pool?.cells;
    if (!c) return;
    c.capacity.textContent = count(pool.capacity);
    c.target.replaceChildren(count(pool.target), c.shadow);
    const shadowed = Number.isFinite(pool.shadowTarget);
    c.shadow.hidden = !shadowed;
    c.shadowMark.hidden = !shadowed;
    if (shadowed) {
      // Seen: a dashed tick and the number (the bar's mark in small); read: "shadow N".
      c.shadow.replaceChildren(
        h('span', { class: 'visually-hidden', text: 'shadow ' }),
        count(pool.shadowTarget),
      );
      c.shadow.title = `The shadow policy would have it at ${count(pool.shadowTarget)} (never pushed)`;
      c.shadowMark.style.left = `${position(pool.shadowTarget, pool) * 100}%`;
    }
    c.range.textContent = `${count(pool.min)} – ${count(pool.max)}`;
    c.fill.style.width = `${position(pool.capacity ?? pool.min, pool) * 100}%`;
    c.mark.style.left = `${position(pool.target, pool) * 100}%`;
    let state;
    if (pool.capacity === null || pool.capacity === undefined) state = flag('not reported', 'warn');
    else if (pool.capacity === pool.target) state = flag('at target', 'plain');
    else state = flag(pool.capacity < pool.target ? 'below target' : 'above target', 'warn');
    // One line per pool: the last reason is cut to the column; the decision feed has it whole.
    const why = pool.reason ? h('span', { class: 'small muted', text: ` ${pool.reason}` }) : null;
    const scheduled = pool.schedule ? flag(`schedule ${pool.schedule}`, 'warn') : null;
    const leak = pool.leakSuspected === true ? leakFlag(pool.leak) : null;
    c.state.replaceChildren(
      ...(leak ? [leak, ' '] : []),
      state,
      ...(scheduled ? [' ', scheduled] : []),
      ...(why ? [why] : []),
    );
    c.row.classList.toggle('leak', leak !== null);
    const title = [leak ? leak.title : null, pool.reason].filter(Boolean).join('\n');
    if (title) c.state.title = title;
    else c.state.removeAttribute('title');
    fillHealth(c, pool);
  }
}

/** The hit ratio and bytes cells, each with the figures behind it in its tooltip. */
function fillHealth(c, pool) {
  // Unchanged figures leave the cells alone: a tick of 1,000 pools re-fills every row.
  const key = `${pool.hitRatio}|${pool.returnRatio}|${pool.bytes}|${pool.inUse}`;
  if (c.health === key) return;
  c.health = key;
  c.hitRatio.textContent = percent(pool.hitRatio);
  const hit = Number.isFinite(pool.hitRatio)
    ? `Hit ratio over the last minute: ${percent(pool.hitRatio)} of objects taken were hits.`
    : 'Hit ratio: no objects taken in the last minute (or no counters reported).';
  const back = Number.isFinite(pool.returnRatio)
    ? `Return ratio: ${percent(pool.returnRatio)} of objects taken were given back.`
    : 'Return ratio: none (the service reports no returns, or nothing was taken).';
  c.hitRatio.title = `${hit}\n${back}`;
  c.bytes.textContent = bytes(pool.bytes);
  const held = Number.isFinite(pool.bytes)
    ? `${count(pool.bytes)} bytes held by the pool.`
    : 'Bytes: not reported.';
  const used = Number.isFinite(pool.inUse) ? `${count(pool.inUse)} objects in use.` : 'In use: not reported.';
  c.bytes.title = `${held}\n${used}`;
}

/**
 * The mark of a pool suspected of leaking: a flag that says so in words, its evidence read out
 * after it (visually hidden: the row stays one line) and shown in its tooltip.
 */
function leakFlag(evidence) {
  const text = evidence ? `Leak suspected: ${evidence}. Not grown while suspected.` : 'Leak suspected.';
  return h(
    'span',
    { class: 'flag flag-bad leak-flag', title: text },
    'leak suspected',
    evidence ? h('span', { class: 'visually-hidden', text: `: ${evidence}` }) : null,
  );
}

/** Where `value` sits on the pool's range, 0..1, on a log scale (ranges span decades). */
function position(value, { min, max }) {
  if (!Number.isFinite(value) || !(max > min)) return 0;
  const lo = Math.log1p(Math.max(0, min));
  const hi = Math.log1p(max);
  return Math.min(1, Math.max(0, (Math.log1p(Math.max(0, value)) - lo) / (hi - lo)));
}
