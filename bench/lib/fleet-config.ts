import { parse, stringify } from 'yaml';
import { seedYaml } from '../../test/helpers/config.js';

/**
 * The seed matrix (`seedYaml` of the tests: the seed rules, bands and the demo service's three
 * pools) over every service in `urls`, named `svc0`, `svc1`, ..., `interval: 1s`. `fastPath` is
 * left out of the file, so the policy's default applies (100 ms, `policies/schema.ts`).
 */
export function fleetYaml(urls: readonly string[], interval = '1s'): string {
  const doc = parse(seedYaml({ url: urls[0] ?? 'http://127.0.0.1:1', interval })) as {
    policy: Record<string, unknown>;
    services: Array<Record<string, unknown>>;
  };
  delete doc.policy.fastPath;
  doc.policy.name = 'bench-fleet';
  const template = doc.services[0] as Record<string, unknown>;
  doc.services = urls.map((url, i) => ({ ...template, name: `svc${i}`, url }));
  return stringify(doc);
}
