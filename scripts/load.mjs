#!/usr/bin/env node
// Puts HTTP load on the demo service that `npm start` runs, so the controller sees its load rise
// and grows the pools. Usage: npm run load [-- --seconds 30 --connections 10 --url http://127.0.0.1:8080]
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    connections: { type: 'string', default: '10' },
    url: { type: 'string', default: `http://127.0.0.1:${process.env.POOLPILOT_DEMO_PORT || 8080}` },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('Usage: npm run load -- [--seconds 30] [--connections 10] [--url http://127.0.0.1:8080]');
  process.exit(0);
}
const url = new URL('/work?ms=2', values.url).toString();
console.log(`loading ${url} for ${values.seconds} s with ${values.connections} connections…`);
const result = await autocannon({
  url,
  duration: Number(values.seconds),
  connections: Number(values.connections),
});
if (result.errors > 0 && result.requests.total === 0) {
  console.error(`no request succeeded (${result.errors} errors): is \`npm start\` running?`);
  process.exit(1);
}
console.log(
  `${result.requests.total} requests, ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms`,
);
