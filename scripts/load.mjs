#!/usr/bin/env node
// Puts small-file GET load on the reference NAS service that `npm start` runs, so the controller
// sees its load rise and grows the pools.
// Usage: npm run load [-- --seconds 30 --connections 16 --url http://127.0.0.1:8080]
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { DEMO_FILES } from '../dist/controller/demo.js';
import { sampleFilePath } from '../dist/examples/nas-service/sample-tree.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    connections: { type: 'string', default: '16' },
    url: { type: 'string', default: `http://127.0.0.1:${process.env.POOLPILOT_DEMO_PORT || 8080}` },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('Usage: npm run load -- [--seconds 30] [--connections 16] [--url http://127.0.0.1:8080]');
  process.exit(0);
}
const requests = Array.from({ length: DEMO_FILES }, (_, i) => ({
  method: 'GET',
  path: `/${sampleFilePath(i)}`,
}));
console.log(
  `GET ${DEMO_FILES} files of ${values.url} for ${values.seconds} s with ${values.connections} connections…`,
);
const result = await autocannon({
  url: values.url,
  duration: Number(values.seconds),
  connections: Number(values.connections),
  requests,
});
if (result.requests.total === 0 || result.non2xx === result.requests.total) {
  console.error(
    `no request succeeded (${result.errors} errors, ${result.non2xx} non-2xx): is \`npm start\` running?`,
  );
  process.exit(1);
}
console.log(
  `${result.requests.total} requests, ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx`,
);
