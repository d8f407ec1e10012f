// The dashboard's entry: builds each view on its part of the page and feeds them from LiveData.
import { SignalCharts } from './charts.js';
import { Controls } from './controls.js';
import { byId } from './dom.js';
import { DecisionFeed } from './feed.js';
import { LiveData } from './live.js';
import { PolicyView } from './policy.js';
import { PoolsView } from './pools.js';
import { SchedulesView } from './schedules.js';
import { ServicesView } from './services.js';
import { ShadowView } from './shadow.js';

const charts = new SignalCharts({
  cacheEl: byId('chart-cache'),
  loadEl: byId('chart-load'),
  cacheNow: byId('cache-now'),
  serviceCacheEl: byId('chart-service-cache'),
  serviceCacheNow: byId('service-cache-now'),
  loadNow: byId('load-now'),
  note: byId('bands-note'),
});
const feed = new DecisionFeed({
  list: byId('feed'),
  empty: byId('feed-empty'),
  countEl: byId('decision-count'),
  filter: byId('feed-filter'),
});
const shadow = new ShadowView({
  box: byId('shadow'),
  toggle: byId('shadow-toggle'),
  name: byId('shadow-name'),
  error: byId('shadow-error'),
  panel: byId('shadow-panel'),
  list: byId('shadow-feed'),
  empty: byId('shadow-empty'),
  countEl: byId('shadow-count'),
  filter: byId('feed-filter'),
});
const policy = new PolicyView({
  name: byId('policy-name'),
  alert: byId('policy-alert'),
  errorBox: byId('policy-error'),
  errorText: byId('policy-error-text'),
  meta: byId('policy-meta'),
  bands: byId('policy-bands'),
  rules: byId('policy-rules'),
});
const services = new ServicesView(byId('services'));
const schedules = new SchedulesView(byId('schedules'));
const pools = new PoolsView({
  table: byId('pools'),
  countEl: byId('pool-count'),
  filter: byId('pool-filter'),
  onOverride: (service, pool) => controls.openOverride(service, pool),
});
const controls = new Controls({
  onChanged: () => void live.refresh(),
  poolInfo: (service, pool) => pools.get(service, pool),
});

const connection = byId('connection');
const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  live: 'Live: event stream',
  reconnecting: 'Event stream lost: reconnecting, reading the API meanwhile',
  polling: 'Reading the API every 2 s (no event stream)',
};

const live = new LiveData({
  status(status, { sample }) {
    policy.setMeta(status.policy);
    shadow.setMeta(status.policy);
    services.setStatus(status);
    pools.setStatus(status);
    schedules.set(status.schedules);
    controls.setPaused(status.paused);
    if (sample) {
      charts.push({
        at: latestReading(status.signals),
        cache: status.signals.cache,
        load: status.signals.load,
        serviceCache: Object.fromEntries(status.services.map((s) => [s.name, s.cache])),
      });
    }
  },
  decisions(list) {
    feed.merge(list, { fresh: feed.entries.size > 0 });
  },
  decision(record) {
    feed.upsert(record, { fresh: true });
  },
  signals(event) {
    charts.push(event);
    services.setSignals(event);
    pools.setTargets(event.pools);
    schedules.set(event.schedules);
    controls.setPaused(event.paused);
    shadow.ticked();
  },
  config(meta) {
    policy.setMeta(meta);
    shadow.setMeta(meta);
  },
  policy(doc) {
    charts.setBands(doc ? doc.bands : null);
    feed.setPolicy(doc);
    policy.setPolicy(doc);
  },
  connection({ mode, error }) {
    const text = CONNECTION_TEXT[mode] ?? mode;
    connection.textContent = error ? `${text}. Cannot read the controller: ${error}` : text;
    connection.classList.toggle('error-text', error !== null);
  },
});
live.start();

/** The time of a status's newest reading: without a tick time, where its sample goes on the charts. */
function latestReading(signals) {
  const times = [signals.cache?.at, ...Object.values(signals.load ?? {}).map((s) => s?.at)].filter(Boolean);
  return times.sort().at(-1) ?? new Date().toISOString();
}
