// Small DOM and formatting helpers. Elements are built node by node: no HTML string ever holds a
// value from the controller, so a service or pool name cannot inject markup.

/**
 * An element: `h('td', { class: 'num' }, '42')`. `attrs` keys are attributes, except `text`
 * (textContent); a false, null or undefined attribute is left out; children are nodes or strings.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === 'text') el.textContent = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }
  return el;
}

/** The element with this id; throws when the page lacks it (a bug, not a state). */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

/** A signal level: two decimals, three when the third one matters; an em dash for none. */
export function level(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const three = value.toFixed(3);
  return three.endsWith('0') ? value.toFixed(2) : three;
}

// One formatter each, made once: `toLocaleString` and `toLocaleTimeString` build a new one on
// every call, which made a tick of 1,000 pools (a feed entry and a table row each) spend most of
// its time in them.
const WHOLE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const TIME = new Intl.DateTimeFormat('en-GB', {
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
  hour12: false,
});

/** A whole number with thousands separators, or an em dash. */
export function count(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return WHOLE.format(Math.round(value));
}

/** `14:02:07` in the viewer's time zone, or an em dash. */
export function clock(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return TIME.format(d);
}

/** `2024-05-02 14:02:07`, for times that may be days old. */
export function dateTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock(iso)}`;
}

/** `850 ms`, `4.2 s`, `3 min 5 s`, `2 h 10 min`, with no-break spaces (a figure stays whole). */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const nb = '\u00a0';
  if (ms < 1000) return `${Math.round(ms)}${nb}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(s < 10 ? 1 : 0))}${nb}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}${nb}min ${Math.round(s - m * 60)}${nb}s`;
  return `${Math.floor(m / 60)}${nb}h ${m % 60}${nb}min`;
}

/** A small labelled flag: `flag('stale', 'bad')`. The word carries the meaning, colour repeats it. */
export function flag(word, kind = 'plain') {
  return h('span', { class: `flag flag-${kind}`, text: word });
}
