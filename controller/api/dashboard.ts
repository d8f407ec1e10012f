import type { FastifyPluginAsync } from 'fastify';

/**
 * A first, dependency-free dashboard at `/`: it polls the status and decisions APIs once a
 * second and shows the signals, every pool's capacity against its target, and the latest
 * decisions with their reasons.
 */
export const dashboardRoute: FastifyPluginAsync = async (app) => {
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>poolpilot</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 1.5rem; color: #111; background: #fff; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  h2 { font-size: 1.05rem; margin: 1.25rem 0 .4rem; }
  table { border-collapse: collapse; min-width: 32rem; }
  th, td { text-align: left; padding: .25rem .75rem .25rem 0; border-bottom: 1px solid #ddd; }
  .stale { color: #a40000; font-weight: 600; }
  .muted { color: #555; }
  code { font-size: .9em; }
</style>
</head>
<body>
<h1>poolpilot</h1>
<div id="policy" class="muted">loading…</div>
<h2>Signals</h2>
<table><thead><tr><th>signal</th><th>value</th><th>read</th><th>state</th></tr></thead><tbody id="signals"></tbody></table>
<h2>Pools</h2>
<table><thead><tr><th>service</th><th>pool</th><th>capacity</th><th>target</th><th>min</th><th>max</th><th>why</th></tr></thead><tbody id="pools"></tbody></table>
<h2>Decisions</h2>
<table><thead><tr><th>at</th><th>pool</th><th>change</th><th>outcome</th><th>reason</th></tr></thead><tbody id="decisions"></tbody></table>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const num = (v) => (v === null || v === undefined ? '—' : Number(v).toFixed(3));
const row = (cells) => '<tr>' + cells.map((c) => '<td>' + c + '</td>').join('') + '</tr>';
function signalRow(name, s) {
  return row([esc(name), num(s.value), esc(s.at ? new Date(s.at).toLocaleTimeString() : '—'),
    s.stale ? '<span class="stale">stale</span> ' + esc(s.reason) : 'fresh']);
}
async function refresh() {
  try {
    const [status, decisions] = await Promise.all([
      fetch('/api/v1/status').then((r) => r.json()),
      fetch('/api/v1/decisions?limit=20').then((r) => r.json()),
    ]);
    const p = status.policy;
    document.getElementById('policy').innerHTML = 'policy <code>' + esc(p.name) + '</code> loaded ' +
      esc(new Date(p.loadedAt).toLocaleString()) + (p.lastError ? ' — <span class="stale">' + esc(p.lastError) + '</span>' : '') +
      (status.paused ? ' — <strong>paused</strong>' : '');
    let sig = signalRow('cache', status.signals.cache);
    for (const [svc, s] of Object.entries(status.signals.load)) sig += signalRow('load ' + svc, s);
    document.getElementById('signals').innerHTML = sig;
    let pools = '';
    for (const s of status.services) for (const pool of s.pools) {
      pools += row([esc(s.name) + (s.healthy ? '' : ' <span class="stale">unreachable</span>'), esc(pool.name),
        esc(pool.capacity ?? '?'), esc(pool.target), esc(pool.min), esc(pool.max), esc(pool.reason)]);
    }
    document.getElementById('pools').innerHTML = pools;
    document.getElementById('decisions').innerHTML = decisions.decisions.map((d) =>
      row([esc(new Date(d.at).toLocaleTimeString()), esc(d.service + '/' + d.pool), esc(d.from + ' → ' + d.to),
        esc(d.outcome), esc(d.reason)])).join('');
  } catch (err) {
    document.getElementById('policy').textContent = 'cannot reach the controller: ' + err;
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
`;
