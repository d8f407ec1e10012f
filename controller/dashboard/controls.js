// Pause, resume and a pool's override. Each change is sent as is; when the controller answers
// 401 (it has an API token), the page asks for the token, keeps it in memory for this tab, and
// sends the change again.
import { byId, clock, count } from './dom.js';

export class Controls {
  /** `onChanged()` is called after every accepted change, to read the status again. */
  constructor({ onChanged, poolInfo }) {
    this.onChanged = onChanged;
    this.poolInfo = poolInfo;
    this.token = null;
    this.paused = null;
    this.els = {
      pause: byId('pause'),
      resume: byId('resume'),
      state: byId('run-state'),
      notice: byId('notice'),
      tokenDialog: byId('token-dialog'),
      tokenForm: byId('token-form'),
      tokenInput: byId('token-input'),
      tokenMessage: byId('token-message'),
      overrideDialog: byId('override-dialog'),
      overrideForm: byId('override-form'),
      overrideTitle: byId('override-title'),
      overrideRange: byId('override-range'),
      overrideCapacity: byId('override-capacity'),
      overrideTtl: byId('override-ttl'),
      overrideError: byId('override-error'),
    };
    const e = this.els;
    e.pause.addEventListener('click', () => void this.setRunning(false));
    e.resume.addEventListener('click', () => void this.setRunning(true));
    e.overrideForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.pin();
    });
    byId('override-clear').addEventListener('click', () => void this.unpin());
    byId('override-cancel').addEventListener('click', () => e.overrideDialog.close());
    this.pool = null;
  }

  /** Shows the state the controller reported. */
  setPaused(paused) {
    this.paused = paused;
    const { state, pause, resume } = this.els;
    state.textContent = paused ? 'Paused: nothing is pushed' : 'Running';
    state.className = `run-state ${paused ? 'paused' : 'running'}`;
    pause.disabled = paused === true;
    resume.disabled = paused === false;
  }

  async setRunning(running) {
    const what = running ? 'resume' : 'pause';
    const answer = await this.send('POST', `/api/v1/${what}`);
    if (!answer.ok) return this.say(`Could not ${what}: ${answer.message}`, true);
    this.setPaused(answer.body.paused);
    this.say(
      answer.body.paused ? 'Paused: decisions are still made and recorded, nothing is pushed.' : 'Resumed.',
    );
    this.onChanged();
  }

  /** Opens the override dialog for one pool. */
  openOverride(service, pool) {
    const info = this.poolInfo(service, pool) ?? {};
    const e = this.els;
    this.pool = { service, pool };
    e.overrideTitle.textContent = `Override ${service}/${pool}`;
    e.overrideRange.textContent =
      `Target now ${count(info.target)}, reported ${count(info.capacity)}; the pool allows ` +
      `${count(info.min)} – ${count(info.max)} (a capacity outside is clamped). The override ends by itself.`;
    e.overrideCapacity.value = Number.isFinite(info.target) ? String(info.target) : '';
    e.overrideError.textContent = '';
    e.overrideDialog.showModal();
    e.overrideCapacity.focus();
    e.overrideCapacity.select();
  }

  async pin() {
    const e = this.els;
    const capacity = Number(e.overrideCapacity.value);
    if (e.overrideCapacity.value.trim() === '' || !Number.isSafeInteger(capacity) || capacity < 0) {
      e.overrideError.textContent = 'The capacity is a whole number, 0 or more.';
      return;
    }
    const { service, pool } = this.pool;
    const body = { capacity, ttlSeconds: Number(e.overrideTtl.value) };
    const answer = await this.send('PUT', overridePath(service, pool), body);
    if (!answer.ok) {
      e.overrideError.textContent = answer.message;
      return;
    }
    e.overrideDialog.close();
    this.say(
      `${service}/${pool} pinned at ${count(capacity)} until ${clock(answer.body.until)}; it applies at the next tick.`,
    );
    this.onChanged();
  }

  async unpin() {
    const e = this.els;
    const { service, pool } = this.pool;
    const answer = await this.send('DELETE', overridePath(service, pool));
    if (!answer.ok) {
      e.overrideError.textContent = answer.message;
      return;
    }
    e.overrideDialog.close();
    this.say(`${service}/${pool}: override removed; the policy decides again at the next tick.`);
    this.onChanged();
  }

  /** Sends a change; answers `{ok, body}` or `{ok: false, message}`. Asks for the token on 401. */
  async send(method, path, body) {
    let refused = false;
    for (;;) {
      const headers = { accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (this.token !== null) headers.authorization = `Bearer ${this.token}`;
      let res;
      try {
        res = await fetch(path, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        return { ok: false, message: `the controller cannot be reached (${err.message})` };
      }
      const answer = res.status === 204 ? {} : await res.json().catch(() => ({}));
      if (res.ok) return { ok: true, body: answer };
      if (res.status !== 401) return { ok: false, message: answer.message ?? `HTTP ${res.status}` };
      this.token = await this.askToken(refused || this.token !== null);
      refused = true;
      if (this.token === null) return { ok: false, message: 'no API token given' };
    }
  }

  /** Resolves with the token typed, or null when the dialog is cancelled. */
  askToken(wasRefused) {
    const { tokenDialog, tokenForm, tokenInput, tokenMessage } = this.els;
    tokenMessage.textContent = wasRefused
      ? 'The controller refused that token. Enter its API token (POOLPILOT_API_TOKEN).'
      : 'This controller asks for its API token (POOLPILOT_API_TOKEN) to change anything.';
    tokenInput.value = '';
    return new Promise((resolve) => {
      const done = (value) => {
        tokenForm.removeEventListener('submit', submit);
        byId('token-cancel').removeEventListener('click', cancel);
        tokenDialog.removeEventListener('close', cancel);
        if (tokenDialog.open) tokenDialog.close();
        resolve(value);
      };
      const submit = (event) => {
        event.preventDefault();
        const value = tokenInput.value.trim();
        done(value === '' ? null : value);
      };
      const cancel = () => done(null);
      tokenForm.addEventListener('submit', submit);
      byId('token-cancel').addEventListener('click', cancel);
      tokenDialog.addEventListener('close', cancel);
      tokenDialog.showModal();
      tokenInput.focus();
    });
  }

  say(text, bad = false) {
    this.els.notice.textContent = text;
    this.els.notice.classList.toggle('bad', bad);
  }
}

function overridePath(service, pool) {
  return `/api/v1/services/${encodeURIComponent(service)}/pools/${encodeURIComponent(pool)}/override`;
}
