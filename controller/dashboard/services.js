// The services table: each service's mode, health, push breaker, load and how fresh that load is.
import { clock, duration, flag, h, level } from './dom.js';

export class ServicesView {
  constructor(table) {
    this.body = table.tBodies[0];
    this.services = [];
    this.load = {};
    /** The controller's time of the latest tick seen (ms), to tell each reading's age. */
    this.now = null;
  }

  /** From `/api/v1/status`: the services, and the load signals as of that read. */
  setStatus(status) {
    this.services = status.services ?? [];
    this.load = status.signals?.load ?? {};
    this.now = Math.max(this.now ?? 0, latest(status.signals));
    this.render();
  }

  /** From a `signals` event: the load signals of a tick. */
  setSignals(event) {
    this.load = event.load ?? {};
    const at = Date.parse(event.at);
    if (Number.isFinite(at)) this.now = Math.max(this.now ?? 0, at);
    this.render();
  }

  render() {
    if (this.services.length === 0) {
      this.body.replaceChildren(
        h('tr', {}, h('td', { colspan: 7, class: 'empty', text: 'No service is configured.' })),
      );
      return;
    }
    this.body.replaceChildren(...this.services.map((s) => this.row(s, this.load[s.name])));
  }

  row(service, load) {
    const health = service.healthy
      ? [flag('healthy', 'good')]
      : [
          flag('unreachable', 'bad'),
          service.lastError ? h('div', { class: 'small error-text', text: service.lastError }) : null,
        ];
    const mode = service.mode === 'observe' ? flag('observe only', 'warn') : service.mode;
    let state;
    if (!load || load.value === null || load.value === undefined) {
      state = [
        flag('missing', 'bad'),
        load?.reason ? h('div', { class: 'small muted', text: load.reason }) : null,
      ];
    } else if (load.stale) {
      state = [
        flag('stale', 'bad'),
        load.reason ? h('div', { class: 'small muted', text: load.reason }) : null,
      ];
    } else {
      state = [
        flag('fresh', 'good'),
        load.reason ? h('div', { class: 'small muted', text: load.reason }) : null,
      ];
    }
    const at = load?.at ? Date.parse(load.at) : NaN;
    const age = Number.isFinite(at) && this.now !== null ? Math.max(0, this.now - at) : null;
    const readAt = load?.at
      ? `${clock(load.at)}${age !== null && age >= 1000 ? ` (${duration(age)} old)` : ''}`
      : 'never';
    return h(
      'tr',
      {},
      h(
        'th',
        { scope: 'row' },
        service.name,
        ' ',
        h('span', { class: 'small muted url', text: service.url }),
      ),
      h('td', {}, mode),
      h('td', {}, ...health),
      h('td', {}, ...pushes(service)),
      h('td', { class: 'num', text: level(load?.value) }),
      h('td', {}, ...state),
      h('td', { text: readAt }),
    );
  }
}

/** What each breaker state says to an operator: a flag, and what it means for the pools. */
const BREAKER = {
  closed: ['closed', 'good', null],
  'half-open': ['half-open', 'warn', 'one trial push is under way'],
  open: ['open', 'bad', 'resizes fail at once without being sent, until a trial push succeeds'],
};

/** The service's push circuit breaker in words, and its retries (absent from an older controller). */
function pushes(service) {
  if (typeof service.breaker !== 'string' || !Object.hasOwn(BREAKER, service.breaker)) {
    return [h('span', { class: 'muted', text: '—' })];
  }
  const [word, kind, meaning] = BREAKER[service.breaker];
  const retries = service.retries ?? 0;
  return [
    flag(`breaker ${word}`, kind),
    meaning ? h('div', { class: 'small muted', text: meaning }) : null,
    retries > 0
      ? h('div', {
          class: 'small muted',
          text: `${retries} ${retries === 1 ? 'retry' : 'retries'} since start`,
        })
      : null,
  ];
}

/** The newest reading time in a status's signals (ms): the controller's time at its last tick. */
function latest(signals) {
  const times = [signals?.cache?.at, ...Object.values(signals?.load ?? {}).map((s) => s?.at)]
    .map((t) => (t ? Date.parse(t) : NaN))
    .filter(Number.isFinite);
  return times.length === 0 ? 0 : Math.max(...times);
}
