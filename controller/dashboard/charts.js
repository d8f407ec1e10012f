// The live charts (uPlot): the node's cache signal, one line per service's own cache (the
// `service` cache source: the signal each service's pools see), and one line per service's load,
// each with the policy's band thresholds drawn across it. A stale or missing reading is a gap in its line, and
// the caption above each chart says the latest values in words.
import { h, level } from './dom.js';

/** Samples kept per chart: an hour at a 5 s interval. */
const HISTORY = 720;
const HEIGHT = 190;
/** Line colours, each at least 3:1 against white; past eight, the lines are dashed as well. */
const PALETTE = ['#0b5cad', '#b34700', '#1e7a34', '#7b1fa2', '#c2185b', '#00707a', '#6d4c41', '#3d4f5c'];
const AXIS = {
  stroke: '#4d5560',
  grid: { stroke: '#e6e9ee', width: 1 },
  ticks: { stroke: '#d0d5dc', width: 1 },
};

export class SignalCharts {
  constructor({ cacheEl, loadEl, serviceCacheEl, cacheNow, loadNow, serviceCacheNow, note }) {
    this.els = { cache: cacheEl, load: loadEl, serviceCache: serviceCacheEl };
    this.captions = { cache: cacheNow, load: loadNow, serviceCache: serviceCacheNow };
    this.note = note;
    this.times = [];
    this.cache = [];
    /** Service name to its values, aligned with `times`. */
    this.load = new Map();
    this.services = [];
    /** Service name to its own cache values (services that report a memory block), aligned with `times`. */
    this.serviceCache = new Map();
    this.cacheServices = [];
    this.bands = undefined; // unknown until the policy is read; null when not served
    this.charts = { cache: null, load: null, serviceCache: null };
    this.observer = new ResizeObserver(() => this.resize());
    for (const el of [cacheEl, loadEl, serviceCacheEl]) this.observer.observe(el);
    this.build('cache');
    this.build('load');
    this.build('serviceCache');
    this.describeBands();
  }

  /** The band thresholds (`{cache, load}` of `{low, high, tolerance}`), or null when unknown. */
  setBands(bands) {
    this.bands = bands;
    this.describeBands();
    for (const chart of Object.values(this.charts)) chart?.redraw(false, false);
  }

  /**
   * Adds the readings of one tick: `{at, cache: SignalStatus, load: {svc: SignalStatus},
   * serviceCache?: {svc: SignalStatus}}`.
   */
  push({ at, cache, load, serviceCache }) {
    const t = Date.parse(at) / 1000;
    if (!Number.isFinite(t)) return;
    const names = Object.keys(load ?? {});
    if (names.join('\n') !== this.services.join('\n')) this.setServices(names);
    // A service gets a line once it reports its own memory (its cache has a `service` part).
    const own = Object.entries(serviceCache ?? {})
      .filter(([name, s]) => s?.sources?.service !== undefined && !this.cacheServices.includes(name))
      .map(([name]) => name);
    if (own.length > 0) this.setCacheServices([...this.cacheServices, ...own]);
    const last = this.times.length - 1;
    if (last >= 0 && t < this.times[last]) return; // older than what is drawn: a late poll
    const replace = last >= 0 && t === this.times[last];
    const put = (list, value) => (replace ? (list[last] = value) : list.push(value));
    if (!replace) this.times.push(t);
    put(this.cache, plotted(cache));
    for (const name of this.services) put(this.load.get(name), plotted(load[name]));
    for (const name of this.cacheServices) put(this.serviceCache.get(name), plotted(serviceCache?.[name]));
    if (this.times.length > HISTORY) {
      const cut = this.times.length - HISTORY;
      this.times.splice(0, cut);
      this.cache.splice(0, cut);
      for (const values of [...this.load.values(), ...this.serviceCache.values()]) values.splice(0, cut);
    }
    this.charts.cache?.setData([this.times, this.cache]);
    this.charts.load?.setData([this.times, ...this.services.map((name) => this.load.get(name))]);
    this.charts.serviceCache?.setData([
      this.times,
      ...this.cacheServices.map((n) => this.serviceCache.get(n)),
    ]);
    this.caption(cache, load ?? {}, serviceCache ?? {});
  }

  setCacheServices(names) {
    for (const name of names) {
      if (!this.serviceCache.has(name))
        this.serviceCache.set(
          name,
          this.times.map(() => null),
        );
    }
    this.cacheServices = names;
    this.build('serviceCache');
  }

  setServices(names) {
    const next = new Map();
    for (const name of names) next.set(name, this.load.get(name) ?? this.times.map(() => null));
    this.load = next;
    this.services = names;
    this.build('load');
  }

  build(which) {
    const el = this.els[which];
    this.charts[which]?.destroy();
    this.charts[which] = null;
    el.replaceChildren();
    if (which === 'load' && this.services.length === 0) {
      el.append(h('p', { class: 'chart-empty', text: 'No service is configured: no load to draw.' }));
      return;
    }
    if (which === 'serviceCache' && this.cacheServices.length === 0) {
      const text =
        'No service reports its own memory (the service cache source): its pools see the node cache.';
      el.append(h('p', { class: 'chart-empty', text }));
      return;
    }
    const names = which === 'load' ? this.services : this.cacheServices;
    const values = which === 'load' ? this.load : this.serviceCache;
    const series =
      which === 'cache'
        ? [{ label: 'cache', stroke: PALETTE[0], width: 2 }]
        : names.map((name, i) => ({
            label: name,
            stroke: PALETTE[i % PALETTE.length],
            width: 2,
            ...(i >= PALETTE.length ? { dash: [6, 3] } : {}),
          }));
    const data =
      which === 'cache' ? [this.times, this.cache] : [this.times, ...names.map((n) => values.get(n))];
    const opts = {
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max ?? 1)] } },
      series: [{}, ...series.map((s) => ({ ...s, spanGaps: false, value: (_u, v) => level(v) }))],
      axes: [AXIS, { ...AXIS, size: 42, values: (_u, ticks) => ticks.map((v) => level(v)) }],
      legend: { show: which !== 'cache' },
      cursor: { points: { size: 6 } },
      hooks: {
        drawClear: [(u) => this.shade(u, which)],
        draw: [(u) => this.label(u, which)],
      },
    };
    this.charts[which] = new globalThis.uPlot(opts, data, el);
    // uPlot's legend is a table whose header cells name each series' row.
    for (const th of el.querySelectorAll('.u-legend th')) th.setAttribute('scope', 'row');
  }

  resize() {
    for (const which of ['cache', 'load', 'serviceCache']) {
      const chart = this.charts[which];
      const width = Math.max(200, this.els[which].clientWidth);
      if (chart && chart.width !== width) chart.setSize({ width, height: HEIGHT });
    }
  }

  /** The high and low bands, shaded behind the lines, their thresholds dashed. */
  shade(u, which) {
    const spec = this.bands?.[which === 'serviceCache' ? 'cache' : which];
    if (!spec) return;
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const y = (v) => Math.min(top + height, Math.max(top, u.valToPos(v, 'y', true)));
    const high = y(spec.high);
    const low = y(spec.low);
    ctx.save();
    ctx.fillStyle = 'rgba(163, 22, 27, 0.08)';
    ctx.fillRect(left, top, width, high - top);
    ctx.fillStyle = 'rgba(11, 92, 173, 0.07)';
    ctx.fillRect(left, low, width, top + height - low);
    ctx.lineWidth = globalThis.uPlot.pxRatio;
    ctx.setLineDash([6 * ctx.lineWidth, 4 * ctx.lineWidth]);
    for (const [at, colour] of [
      [high, '#a3161b'],
      [low, '#0b5cad'],
    ]) {
      ctx.strokeStyle = colour;
      ctx.beginPath();
      ctx.moveTo(left, at);
      ctx.lineTo(left + width, at);
      ctx.stroke();
    }
    ctx.restore();
  }

  /**
   * `high > 0.70` above the high threshold and `low < 0.30` below the low one, on the left: the
   * oldest readings are the ones they may hide.
   */
  label(u, which) {
    const spec = this.bands?.[which === 'serviceCache' ? 'cache' : which];
    if (!spec) return;
    const { ctx } = u;
    const { left, top, height } = u.bbox;
    const px = globalThis.uPlot.pxRatio;
    const y = (v) => u.valToPos(v, 'y', true);
    ctx.save();
    ctx.font = `600 ${12 * px}px system-ui, sans-serif`;
    ctx.textAlign = 'left';
    const x = left + 4 * px;
    const tag = (text, colour, at, above) => {
      const w = ctx.measureText(text).width + 6 * px;
      const hgt = 15 * px;
      const y0 = above ? at - hgt - 1 * px : at + 1 * px;
      if (y0 < top || y0 + hgt > top + height) return;
      ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
      ctx.fillRect(x, y0, w, hgt);
      ctx.fillStyle = colour;
      ctx.fillText(text, x + 3 * px, y0 + hgt / 2);
    };
    ctx.textBaseline = 'middle';
    tag(`high > ${level(spec.high)}`, '#8a1116', y(spec.high), true);
    tag(`low < ${level(spec.low)}`, '#094a8c', y(spec.low), false);
    ctx.restore();
  }

  caption(cache, load, serviceCache) {
    const spec = this.bands?.cache;
    const cacheText = describe(cache, spec);
    this.captions.cache.textContent = cacheText;
    this.els.cache.setAttribute('aria-label', `Cache pressure over time. Latest: ${cacheText}`);
    const parts = this.services.map((name) => `${name} ${describe(load[name], this.bands?.load, true)}`);
    const loadText = parts.length === 0 ? 'no service' : parts.length <= 3 ? parts.join('; ') : summary(load);
    this.captions.load.textContent = loadText;
    this.els.load.setAttribute(
      'aria-label',
      `Each service's load over time. Latest: ${parts.join('; ') || 'none'}`,
    );
    const own = this.cacheServices.map((name) => `${name} ${describe(serviceCache[name], spec, true)}`);
    const ownText =
      own.length === 0
        ? 'no service reports its memory'
        : own.length <= 3
          ? own.join('; ')
          : summary(serviceCache);
    this.captions.serviceCache.textContent = ownText;
    this.els.serviceCache.setAttribute(
      'aria-label',
      `Each service's own cache pressure over time. Latest: ${own.join('; ') || 'none'}`,
    );
  }

  describeBands() {
    if (this.bands === undefined) this.note.textContent = '';
    else if (this.bands === null) {
      this.note.textContent =
        'This controller does not serve its policy (GET /api/v1/policy): the band thresholds are not drawn.';
    } else {
      const { cache, load } = this.bands;
      this.note.textContent =
        `Shaded: each signal's high band (cache above ${level(cache.high)}, load above ${level(load.high)}) ` +
        `and low band (cache below ${level(cache.low)}, load below ${level(load.low)}). ` +
        'A gap in a line is a stale or missing reading.';
    }
  }
}

/** What uPlot draws for a reading: its value, or a gap when it is stale or missing. */
function plotted(signal) {
  if (!signal || signal.stale || signal.value === null || signal.value === undefined) return null;
  return signal.value;
}

function describe(signal, spec, short = false) {
  if (!signal || signal.value === null || signal.value === undefined) {
    return `missing${signal?.reason ? ` (${signal.reason})` : ''}`;
  }
  const where = spec === undefined || short ? '' : ` — ${relation(signal.value, spec)}`;
  return `${level(signal.value)}${signal.stale ? ' (stale)' : ''}${where}`;
}

function relation(value, spec) {
  if (value > spec.high) return `above high ${level(spec.high)}`;
  if (value < spec.low) return `below low ${level(spec.low)}`;
  return `between ${level(spec.low)} and ${level(spec.high)}`;
}

function summary(load) {
  const entries = Object.entries(load).filter(([, s]) => s && s.value !== null && !s.stale);
  const stale = Object.keys(load).length - entries.length;
  if (entries.length === 0) return `no fresh load (${stale} stale or missing)`;
  const [name, top] = entries.reduce((a, b) => (b[1].value > a[1].value ? b : a));
  return `highest ${name} ${level(top.value)}${stale > 0 ? `; ${stale} stale or missing` : ''}`;
}
