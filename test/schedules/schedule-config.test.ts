/**
 * `schedules:` as a file writes it: what the loader builds, each error `validate` locates at
 * FILE:LINE:COL, and the order in which overlapping windows bound a pool.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatConfigError, loadConfigText } from '../../policies/loader.js';
import { scheduledBounds } from '../../policies/schedule-bounds.js';
import { scheduleConfig, scheduleYaml } from './config.js';

function errors(schedules: string): string[] {
  const result = loadConfigText(scheduleYaml(schedules), 'sched.yaml');
  assert.equal(result.ok, false, 'should not load');
  return result.ok ? [] : result.errors.map(formatConfigError);
}

describe('schedules: loading', () => {
  it('builds each schedule with its duration in ms, its zone and its pool keys', () => {
    const config = scheduleConfig(`schedules:
  - name: nightly-backup
    cron: "0 2 * * *"
    duration: 3h
    timezone: Europe/Paris
    pools:
      buffers: { max: 200 }
      web/buffers: { min: 60, max: 100, base: 80 }
`);
    assert.deepEqual(config.schedules, [
      {
        name: 'nightly-backup',
        cron: '0 2 * * *',
        durationMs: 3 * 3_600_000,
        timezone: 'Europe/Paris',
        pools: { buffers: { max: 200 }, 'web/buffers': { min: 60, max: 100, base: 80 } },
      },
    ]);
  });

  it('a file without schedules has none', () => {
    assert.equal(scheduleConfig('').schedules, undefined);
  });
});

describe('schedules: validate locates each error', () => {
  it('a bad cron expression, at its value', () => {
    assert.deepEqual(
      errors(`schedules:
  - name: b
    cron: "0 61 * * *"
    duration: 1h
    pools: { buffers: { max: 200 } }
`),
      [
        'sched.yaml:20:11: schedules[0].cron: invalid cron expression "0 61 * * *": 61 is a invalid expression for hour',
      ],
    );
  });

  it('a cron expression with the wrong number of fields', () => {
    const [e] = errors(`schedules:
  - name: b
    cron: "every night"
    duration: 1h
    pools: { buffers: { max: 200 } }
`);
    assert.match(
      e ?? '',
      /^sched\.yaml:20:11: schedules\[0\]\.cron: invalid cron expression "every night": /,
    );
  });

  it('an unknown time zone, at its value', () => {
    assert.deepEqual(
      errors(`schedules:
  - name: b
    cron: "0 2 * * *"
    timezone: Europe/Pariss
    duration: 1h
    pools: { buffers: { max: 200 } }
`),
      [
        'sched.yaml:21:15: schedules[0].timezone: unknown time zone "Europe/Pariss" (an IANA name such as Europe/Paris, or UTC)',
      ],
    );
  });

  it('a zero, malformed or too long duration', () => {
    const text = (d: string) => `schedules:
  - name: b
    cron: "0 2 * * *"
    duration: ${d}
    pools: { buffers: { max: 200 } }
`;
    assert.deepEqual(errors(text('0s')), [
      'sched.yaml:21:15: schedules[0].duration: must be greater than 0, got "0s"',
    ]);
    assert.match(
      errors(text('2 hours'))[0] ?? '',
      /^sched\.yaml:21:15: schedules\[0\]\.duration: malformed duration/,
    );
    assert.deepEqual(errors(text('200h')), [
      'sched.yaml:21:15: schedules[0].duration: must be at most 168h, got "200h"',
    ]);
  });

  it('a pool key that names no pool, at the key; bounds that contradict the pool', () => {
    assert.deepEqual(
      errors(`schedules:
  - name: b
    cron: "0 2 * * *"
    duration: 1h
    pools:
      cache: { max: 200 }
      web/handles: { max: 200 }
      buffers: { max: 80 }
      nas/handles: { base: 500 }
`),
      [
        'sched.yaml:23:7: schedules[0].pools: "cache" names no pool of any service (write <pool> or <service>/<pool>)',
        'sched.yaml:24:7: schedules[0].pools: "web/handles" names no configured <service>/<pool> (write <pool> or <service>/<pool>)',
        'sched.yaml:25:16: schedules[0].pools.buffers: min (100) is above max (80) for nas/buffers',
        'sched.yaml:26:28: schedules[0].pools["nas/handles"]: base (500) is outside [min, max] = [10, 400] for nas/handles',
      ],
    );
  });

  it('a duplicate name, an unknown key, a missing field', () => {
    assert.deepEqual(
      errors(`schedules:
  - name: b
    cron: "0 2 * * *"
    duration: 1h
    pools: { buffers: { max: 200 } }
  - name: b
    cron: "0 3 * * *"
    duration: 1h
    pools: { buffers: { maxx: 200 } }
  - name: c
    cron: "0 3 * * *"
    pools: { buffers: { max: 200 } }
`),
      [
        'sched.yaml:23:11: schedules[1].name: duplicate schedule name "b" (also used by schedules[0])',
        'sched.yaml:26:25: unknown key "maxx" in schedules[1].pools.buffers (did you mean "max"?)',
        'sched.yaml:27:5: schedules[2]: missing required key "duration"',
      ],
    );
  });
});

describe('schedules: overlapping windows', () => {
  const config = scheduleConfig(`schedules:
  - name: backup
    cron: "0 2 * * *"
    duration: 3h
    pools:
      buffers: { max: 300 }
  - name: peak
    cron: "0 4 * * *"
    duration: 2h
    pools:
      nas/buffers: { min: 2000, base: 3000 }
`);

  it('the window that fired last bounds a pool; a bound it leaves out is the pool own', () => {
    const backup = { name: 'backup', firedAt: 2_000, until: 10_000 };
    const peak = { name: 'peak', firedAt: 4_000, until: 8_000 };
    const at = (now: number) => scheduledBounds(config, [backup, peak], now);
    assert.deepEqual(at(3_000)['nas/buffers'], {
      schedule: 'backup',
      base: 300,
      min: 100,
      max: 300,
      baseGiven: false,
    });
    assert.deepEqual(at(5_000)['nas/buffers'], {
      schedule: 'peak',
      base: 3000,
      min: 2000,
      max: 4000,
      baseGiven: true,
    });
    assert.equal(at(5_000)['web/buffers']?.schedule, 'backup', 'peak does not name web/buffers');
    assert.equal(at(8_000)['nas/buffers']?.schedule, 'backup', 'peak closed at its until');
    assert.deepEqual(Object.keys(at(10_000)), [], 'every window closed');
    assert.deepEqual(Object.keys(at(1_000)), [], 'before any firing');
  });

  it('at the same firing time, the schedule listed later wins', () => {
    const both = [
      { name: 'peak', firedAt: 4_000, until: 8_000 },
      { name: 'backup', firedAt: 4_000, until: 8_000 },
    ];
    assert.equal(scheduledBounds(config, both, 5_000)['nas/buffers']?.schedule, 'peak');
  });

  it('a window of a schedule the file no longer has is ignored', () => {
    assert.deepEqual(Object.keys(scheduledBounds(config, [{ name: 'gone', firedAt: 0, until: 10 }], 5)), []);
  });
});
