// The decision feed: newest first, one `<details>` per decision whose summary line says what
// changed and whose body, built when first opened, gives the full reason: the rule, the bands
// with their thresholds, each signal's value and age, the clamps, a missing signal or an override.
import { clock, count, dateTime, duration, flag, h, level } from './dom.js';

/** Entries kept on the page; older ones are dropped from the bottom. */
const KEEP = 200;
const OUTCOME_KIND = { applied: 'good', failed: 'bad', observed: 'warn', pending: 'warn' };

export class DecisionFeed {
  constructor({ list, empty, countEl, filter }) {
    this.list = list;
    this.empty = empty;
    this.countEl = countEl;
    this.filter = filter;
    this.policy = null;
    /** id to `{ record, li }` */
    this.entries = new Map();
    /** Each entry's `li` to its id, to drop the oldest without a search. */
    this.ids = new WeakMap();
    /** How many entries the filter shows. */
    this.shown = 0;
    filter.addEventListener('input', () => this.applyFilter());
  }

  /** The policy in force, to name each rule and show the band thresholds. */
  setPolicy(policy) {
    this.policy = policy;
    for (const entry of this.entries.values()) entry.built = false;
    for (const entry of this.entries.values()) if (entry.details.open) this.buildWhy(entry);
  }

  /** Adds the records not shown yet and updates the others (a pending push that settled). */
  merge(records, { fresh }) {
    this.list.setAttribute('aria-busy', 'true');
    // Oldest first, so that each insertion lands on top of the ones before it.
    for (const record of [...records].reverse()) this.upsert(record, { fresh });
    this.list.setAttribute('aria-busy', 'false');
  }

  upsert(record, { fresh }) {
    if (!record || typeof record.id !== 'string') return;
    const known = this.entries.get(record.id);
    if (known) {
      if (known.record.outcome === record.outcome && known.record.error === record.error) return;
      known.record = record;
      known.summary.replaceWith((known.summary = summaryOf(record)));
      known.built = false;
      if (known.details.open) this.buildWhy(known);
      return;
    }
    const entry = this.entryFor(record);
    if (fresh) entry.li.classList.add('new');
    this.insert(entry);
    this.entries.set(record.id, entry);
    this.ids.set(entry.li, record.id);
    // Only the new entry is filtered and counted: a tick of 1,000 pools upserts 1,000 decisions,
    // and filtering every entry kept for each of them made the burst cost 1,000 x 200.
    if (this.hides(entry)) entry.li.hidden = true;
    else this.shown += 1;
    while (this.entries.size > KEEP) this.dropOldest();
    this.showCount();
  }

  entryFor(record) {
    const summary = summaryOf(record);
    const why = h('div', { class: 'why' });
    const details = h('details', {}, summary, why);
    const li = h(
      'li',
      { 'data-key': sortKey(record), 'data-where': `${record.service}/${record.pool}` },
      details,
    );
    const entry = { record, li, details, summary, why, built: false };
    details.addEventListener('toggle', () => {
      if (details.open && !entry.built) this.buildWhy(entry);
    });
    return entry;
  }

  /** Newest first by time, then id: a decision from a replay or a poll lands where it belongs. */
  insert(entry) {
    const key = entry.li.dataset.key;
    for (const li of this.list.children) {
      if (li.dataset.key < key) return li.before(entry.li);
    }
    this.list.append(entry.li);
  }

  dropOldest() {
    const li = this.list.lastElementChild;
    if (!li) return;
    if (this.entries.delete(this.ids.get(li)) && !li.hidden) this.shown -= 1;
    li.remove();
  }

  buildWhy(entry) {
    entry.why.replaceChildren(...reasonOf(entry.record, this.policy));
    entry.built = true;
  }

  applyFilter() {
    this.shown = 0;
    for (const entry of this.entries.values()) {
      entry.li.hidden = this.hides(entry);
      if (!entry.li.hidden) this.shown += 1;
    }
    this.showCount();
  }

  /** Whether the filter's words leave this entry out. */
  hides(entry) {
    const words = this.filter.value.trim().toLowerCase();
    return words !== '' && !entry.li.dataset.where.toLowerCase().includes(words);
  }

  showCount() {
    const shown = this.shown;
    const total = this.entries.size;
    this.countEl.textContent = total === 0 ? '' : shown === total ? `(${total})` : `(${shown} of ${total})`;
    this.empty.hidden = shown > 0;
    this.empty.textContent = total === 0 ? 'No decision yet.' : 'No decision matches the filter.';
  }
}

function sortKey(record) {
  return `${record.at}|${record.id}`;
}

function summaryOf(d) {
  const kind = OUTCOME_KIND[d.outcome] ?? 'plain';
  return h(
    'summary',
    {},
    h(
      'span',
      { class: 'head' },
      h('time', { datetime: d.at, text: clock(d.at) }),
      h('span', { class: 'where', text: `${d.service}/${d.pool}` }),
      h('span', { class: 'change', text: `${count(d.from)} → ${count(d.to)}` }),
      h('span', { class: 'action', text: d.action }),
      flag(d.outcome, kind),
    ),
    h('span', { class: 'reason', text: d.reason }),
  );
}

/** The body of an opened entry. */
function reasonOf(d, policy) {
  const e = d.explanation ?? {};
  const facts = [
    ['Reason', e.summary ?? d.reason],
    ['Change', `${count(d.from)} → ${count(d.to)} (${d.action})`],
    ['Rule', ruleText(e, d, policy)],
    ['Target before clamps', e.rawTarget === undefined ? '—' : count(e.rawTarget)],
    ['Clamps', clampsText(e.clamps)],
  ];
  if (e.missing?.length) {
    const onMissing = policy ? `: onMissing ${policy.onMissing}` : '';
    facts.push(['Missing', `${e.missing.join(', ')}${onMissing}`]);
  }
  if (e.override) {
    facts.push([
      'Override',
      `${count(e.override.capacity)} until ${dateTime(new Date(e.override.until).toISOString())}`,
    ]);
  }
  facts.push(['Outcome', d.error ? `${d.outcome}: ${d.error}` : d.outcome]);
  facts.push(['Decided', `${dateTime(d.at)} (id ${d.id})`]);
  const dl = h(
    'dl',
    { class: 'facts' },
    ...facts.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]),
  );
  return [dl, signalsTable(d, e, policy)];
}

function ruleText(e, d, policy) {
  const index = e.rule ?? d.rule;
  if (index === null || index === undefined) {
    if (e.override) return 'none: an operator override decided';
    if (e.missing?.length) return 'none: a signal a rule needs was stale or missing';
    return 'none matched';
  }
  const rule = policy?.rules?.find((r) => r.index === index);
  return rule ? `#${index}: ${rule.summary}` : `#${index}`;
}

function clampsText(clamps) {
  if (!clamps || clamps.length === 0) return 'none';
  return clamps.map((c) => `to ${c.bound} ${count(c.limit)} (from ${count(c.from)})`).join('; ');
}

function signalsTable(d, e, policy) {
  const rows = ['cache', 'load'].map((name) => {
    const s = e.signals?.[name] ?? d.signals?.[name];
    const label = name === 'load' ? `load (${d.service})` : 'cache';
    const spec = policy?.bands?.[name];
    const thresholds = spec
      ? `low < ${level(spec.low)}, high > ${level(spec.high)} (±${level(spec.tolerance)})`
      : '—';
    if (!s) return [label, '—', '—', thresholds, '—', 'not read'];
    let state = s.stale ? `stale${s.reason ? `: ${s.reason}` : ''}` : 'fresh';
    if (!s.stale && s.reason) state += ` (${s.reason})`;
    if (s.sources) {
      const parts = Object.entries(s.sources).map(([k, v]) => `${k} ${level(v)}`);
      state += `; sources ${parts.join(', ')}`;
    }
    return [
      label,
      level(s.value),
      s.band ?? '—',
      thresholds,
      s.ageMs === null ? '—' : duration(s.ageMs),
      state,
    ];
  });
  const head = ['Signal', 'Value', 'Band', 'Thresholds', 'Age', 'State'];
  return h(
    'table',
    { class: 'grid compact' },
    h('caption', { class: 'visually-hidden', text: 'Signals when decided' }),
    h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { scope: 'col', text: t })))),
    h(
      'tbody',
      {},
      ...rows.map(([label, ...cells]) =>
        h('tr', {}, h('th', { scope: 'row', text: label }), ...cells.map((c) => h('td', { text: c }))),
      ),
    ),
  );
}
