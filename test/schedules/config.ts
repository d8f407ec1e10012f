/** A configuration with schedules, as YAML text, for the schedule tests. */
import { configOrThrow, loadConfigText } from '../../policies/loader.js';
import type { Config } from '../../policies/types.js';

/** Two services (`nas` with buffers and handles, `web` with buffers) and the given `schedules:` block. */
export function scheduleYaml(schedules: string, url = 'http://127.0.0.1:9'): string {
  return `apiVersion: poolpilot/v1
policy:
  name: scheduled
  rules:
    - do: hold
services:
  - name: nas
    url: ${url}
    mode: enforce
    pools:
      - { name: buffers, base: 1000, min: 100, max: 4000 }
      - { name: handles, base: 200, min: 10, max: 400 }
  - name: web
    url: ${url}
    mode: enforce
    pools:
      - { name: buffers, base: 500, min: 50, max: 2000 }
${schedules}`;
}

export function scheduleConfig(schedules: string, url?: string): Config {
  return configOrThrow(loadConfigText(scheduleYaml(schedules, url), 'test.yaml'));
}
