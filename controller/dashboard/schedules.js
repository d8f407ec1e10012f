// The configured schedules (status `schedules`): one line above the pools table naming each one,
// active with the time its window closes, or waiting with its next firing. Hidden without any.
import { clock, flag, h } from './dom.js';

export class SchedulesView {
  constructor(el) {
    this.el = el;
    this.shown = null;
  }

  /** `[{name, active, until?, next?}]`, from the status or a `signals` event; undefined: none. */
  set(schedules) {
    const list = Array.isArray(schedules) ? schedules : [];
    const key = JSON.stringify(list.map((s) => [s.name, s.active, s.until]));
    if (key === this.shown) return;
    this.shown = key;
    this.el.hidden = list.length === 0;
    this.el.replaceChildren(
      h('span', { text: 'Schedules: ' }),
      ...list.map((s) =>
        h(
          'span',
          { class: 'schedule', 'data-schedule': s.name, 'data-active': String(s.active) },
          h('strong', { text: s.name }),
          ' ',
          s.active ? flag(`active until ${clock(s.until)}`, 'warn') : flag('waiting', 'plain'),
          ' ',
        ),
      ),
    );
  }
}
