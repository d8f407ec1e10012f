#!/usr/bin/env node
// Squeezes the memory cgroup of the NAS that `npm start` runs: a neighbour process joins the cgroup,
// takes a large share of its limit for a while, then leaves. Watch the pools shrink on the dashboard
// while it holds, and grow back under `npm run load` once it has gone.
// Usage: npm run squeeze [-- --seconds 20 --share 0.85 --cgroup PATH]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { listDemoCgroups } from '../dist/controller/demo.js';
import { openMemoryCgroup } from '../dist/controller/memory-cgroup.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    share: { type: 'string', default: '0.85' },
    cgroup: { type: 'string' },
    'cgroup-root': { type: 'string', default: process.env.POOLPILOT_CGROUP_ROOT || '/sys/fs/cgroup' },
    help: { type: 'boolean', short: 'h' },
  },
});
const usage = 'Usage: npm run squeeze -- [--seconds 20] [--share 0.85] [--cgroup PATH] [--cgroup-root DIR]';
if (values.help) {
  console.log(
    `${usage}\n\nStarts a neighbour in the memory cgroup of the NAS that \`npm start\` runs: it takes\nenough memory over 2 s that the cgroup holds --share of its limit unreclaimably (the seed\npolicy's high band is 0.7), holds it for --seconds, and leaves.`,
  );
  process.exit(0);
}
const seconds = Number(values.seconds);
const share = Number(values.share);
if (!(seconds > 0) || !(share > 0 && share < 1)) {
  console.error(`--seconds must be > 0 and --share between 0 and 1\n${usage}`);
  process.exit(2);
}

let path = values.cgroup;
if (path === undefined) {
  const found = (await listDemoCgroups(values['cgroup-root'])).filter((c) => c.alive).map((c) => c.path);
  if (found.length === 0) {
    console.error(
      'squeeze: no running `npm start` with a memory cgroup. `npm start` runs the NAS in one only as root,\n' +
        'with a writable memory controller (it says at start where its NAS runs, and if not, why).',
    );
    process.exit(1);
  }
  if (found.length > 1) {
    console.error(`squeeze: several demos run; pick one with --cgroup:\n${found.join('\n')}`);
    process.exit(1);
  }
  path = found[0];
}
let cgroup;
try {
  cgroup = await openMemoryCgroup(path);
} catch (err) {
  console.error(`squeeze: ${err.message}`);
  process.exit(1);
}

/** What is charged to the cgroup and cannot be reclaimed (anon + shmem), from memory.stat. */
function unreclaimable() {
  const stat = Object.fromEntries(
    readFileSync(join(path, 'memory.stat'), 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split(' ')),
  );
  const n = (k) => Number(stat[k] ?? 0);
  return cgroup.version === 1 ? n('total_rss') + n('total_shmem') : n('anon') + n('shmem');
}

const before = unreclaimable();
// The neighbour brings what the cgroup holds unreclaimably up to `share` of its limit.
const bytes = Math.floor(share * cgroup.limitBytes - before);
if (bytes < 16 * 1024 * 1024) {
  console.error(
    `squeeze: ${path} has too little room left (${before >> 20} MiB of ${cgroup.limitBytes >> 20} MiB held)`,
  );
  process.exit(1);
}
const mib = (b) => `${Math.round(b / 1048576)} MiB`;
console.log(
  `squeeze: a neighbour joins ${path} and takes ${mib(bytes)} of its ${mib(cgroup.limitBytes)} limit ` +
    `(${mib(before)} held before) for ${seconds} s; watch the pools shrink on the dashboard`,
);
const here = dirname(fileURLToPath(import.meta.url));
// The scenario's neighbour: the same job, built with the rest (npm run build).
const neighbour = join(here, '..', 'dist', 'bench', 'scenario', 'neighbour-child.js');
const child = cgroup.spawn(process.execPath, [neighbour, String(bytes), '2000', String(seconds * 1000)], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
const stopChild = () => child.kill('SIGTERM');
process.once('SIGINT', stopChild);
process.once('SIGTERM', stopChild);
const [code, signal] = await new Promise((resolve) => child.once('exit', (c, s) => resolve([c, s])));
if (signal === 'SIGKILL') {
  console.log('squeeze: the kernel OOM-killed the neighbour (the pools did not give memory back in time)');
} else if (code === 0 || signal === 'SIGTERM') {
  console.log(
    'squeeze: the neighbour has left; put load on the NAS (npm run load) to see the pools grow back',
  );
} else {
  console.log(`squeeze: the neighbour ended with ${signal ?? `code ${code}`}`);
}
