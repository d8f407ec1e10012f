// The policy in force: its name, where it came from, when it was loaded, the error of the last
// reload that was refused, and (from GET /api/v1/policy) its timing, bands and rules.
import { dateTime, duration, h, level } from './dom.js';

export class PolicyView {
  constructor({ name, alert, errorBox, errorText, meta, bands, rules }) {
    this.els = { name, alert, errorBox, errorText, meta, bands: bands.tBodies[0], rules };
    this.meta = null;
    this.policy = undefined;
  }

  /** `{name, loadedAt, lastError, source}`, from the status or a `config` event. */
  setMeta(meta) {
    if (!meta) return;
    this.meta = meta;
    this.els.name.textContent = meta.name;
    const failed = typeof meta.lastError === 'string' && meta.lastError !== '';
    this.els.alert.hidden = !failed;
    this.els.errorBox.hidden = !failed;
    this.els.errorText.textContent = failed ? meta.lastError : '';
    this.renderFacts();
  }

  /** The document of GET /api/v1/policy, or null when the controller does not serve it. */
  setPolicy(policy) {
    this.policy = policy;
    this.renderFacts();
    const { bands, rules } = this.els;
    if (!policy) {
      bands.replaceChildren(
        h('tr', {}, h('td', { colspan: 4, class: 'empty', text: 'Not served by this controller.' })),
      );
      rules.replaceChildren();
      return;
    }
    bands.replaceChildren(
      ...['cache', 'load'].map((name) => {
        const b = policy.bands[name];
        return h(
          'tr',
          {},
          h('th', { scope: 'row', text: name }),
          h('td', { class: 'num', text: level(b.low) }),
          h('td', { class: 'num', text: level(b.high) }),
          h('td', { class: 'num', text: level(b.tolerance) }),
        );
      }),
    );
    rules.replaceChildren(
      ...policy.rules.map((r) => h('li', { value: r.index }, h('code', { text: r.summary }))),
    );
  }

  renderFacts() {
    const facts = [];
    if (this.meta) {
      facts.push(['Name', this.meta.name]);
      if (this.meta.source) facts.push(['Source', this.meta.source]);
      facts.push(['Loaded', dateTime(this.meta.loadedAt)]);
      facts.push(['Last reload', this.meta.lastError ? 'refused (see above)' : 'no error']);
    }
    const p = this.policy;
    if (p) {
      facts.push(['Interval', duration(p.intervalMs)]);
      facts.push(['Fast path', p.fastPathMs === null ? 'off' : duration(p.fastPathMs)]);
      facts.push(['Stale after', duration(p.staleAfterMs)]);
      facts.push(['On missing', p.onMissing]);
    }
    this.els.meta.replaceChildren(...facts.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
  }
}
