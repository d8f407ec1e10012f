// Where the page's data comes from. A snapshot of the REST API first (status, the last 100
// decisions, the policy), then the event stream (`decision`, `signals`, `config`, `reset`). When
// the stream cannot be opened (an older controller, a proxy that buffers), the page polls the REST
// API instead and tries the stream again now and then. While the stream is up, the status is also
// read shortly after each tick and every few seconds, for what the stream does not carry (each
// service's health, each pool's last reason).

const EVENTS = '/api/v1/events';
/** How long after a tick's event the status is read (events that follow closely share one read). */
const AFTER_TICK_MS = 250;

/**
 * Calls `handlers.status(doc, { sample })`, `decisions(list)`, `decision(record)`,
 * `signals(event)`, `config(meta)`, `policy(doc | null)` and `connection({ mode, error })`, where
 * mode is `connecting`, `live`, `reconnecting` or `polling`, and error the last failed read, if any.
 */
export class LiveData {
  constructor(handlers, options = {}) {
    this.handlers = handlers;
    this.pollMs = options.pollMs ?? 2000;
    this.statusEveryMs = options.statusEveryMs ?? 5000;
    this.retryStreamMs = options.retryStreamMs ?? 30000;
    this.mode = 'connecting';
    this.error = null;
    this.stream = null;
    this.lastEventId = null;
    this.policyLoadedAt = null;
    this.timer = null;
    this.dueAt = 0;
    this.busy = false;
  }

  /** Reads the snapshot and opens the stream; then the timed reads, one at a time. */
  start() {
    this.openStream();
    void this.snapshot().finally(() => this.arm());
  }

  /** Reads the status again now (after a change the page made). */
  async refresh() {
    await this.read(() => this.readStatus(true));
  }

  /** The status, the latest decisions and the policy, as after a `reset`. */
  async snapshot() {
    await this.read(async () => {
      const [status, decisions, policy] = await Promise.all([
        getJson('/api/v1/status'),
        getJson('/api/v1/decisions?limit=100'),
        getPolicy(),
      ]);
      this.policyLoadedAt = status.policy?.loadedAt ?? null;
      this.handlers.policy(policy);
      this.handlers.status(status, { sample: true });
      this.handlers.decisions(decisions.decisions);
    });
  }

  /** Sets the one timer of the reads: the status period while live, the poll period otherwise. */
  arm(delay = this.mode === 'live' ? this.statusEveryMs : this.pollMs) {
    clearTimeout(this.timer);
    this.dueAt = Date.now() + delay;
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  /** Reads the status shortly after a tick, for what its event does not carry (reasons, health). */
  soon() {
    if (!this.busy && this.dueAt - Date.now() > AFTER_TICK_MS) this.arm(AFTER_TICK_MS);
  }

  async tick() {
    if (this.busy) return; // the read running re-arms when it ends
    this.busy = true;
    try {
      await this.poll();
    } finally {
      this.busy = false;
      this.arm();
    }
  }

  async poll() {
    if (this.mode === 'live') return this.read(() => this.readStatus(false));
    return this.read(async () => {
      const [, decisions] = await Promise.all([
        this.readStatus(true),
        getJson('/api/v1/decisions?limit=100'),
      ]);
      this.handlers.decisions(decisions.decisions);
    });
  }

  async readStatus(sample) {
    const status = await getJson('/api/v1/status');
    const loadedAt = status.policy?.loadedAt ?? null;
    if (loadedAt !== this.policyLoadedAt) {
      this.policyLoadedAt = loadedAt;
      this.handlers.policy(await getPolicy());
    }
    this.handlers.status(status, { sample: sample && this.mode !== 'live' });
  }

  async read(what) {
    try {
      await what();
      this.setError(null);
    } catch (err) {
      this.setError(err instanceof Error ? err.message : String(err));
    }
  }

  openStream() {
    if (typeof EventSource !== 'function') return this.setMode('polling');
    const url = this.lastEventId === null ? EVENTS : `${EVENTS}?lastEventId=${this.lastEventId}`;
    const stream = new EventSource(url);
    this.stream = stream;
    stream.addEventListener('open', () => this.setMode('live'));
    this.on(stream, 'decision', (data) => this.handlers.decision(data));
    this.on(stream, 'signals', (data) => {
      this.handlers.signals(data);
      this.soon();
    });
    this.on(stream, 'config', (data) => {
      this.handlers.config(data);
      if (data.loadedAt !== this.policyLoadedAt) void this.refresh();
    });
    stream.addEventListener('reset', () => void this.snapshot());
    stream.addEventListener('error', () => {
      if (stream.readyState !== EventSource.CLOSED) return this.setMode('reconnecting');
      // Refused for good (no such route, not an event stream): poll, and try again later.
      stream.close();
      this.stream = null;
      this.setMode('polling');
      setTimeout(() => this.openStream(), this.retryStreamMs);
    });
  }

  on(stream, type, handle) {
    stream.addEventListener(type, (event) => {
      if (event.lastEventId !== '') this.lastEventId = Number(event.lastEventId);
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return; // a frame this page cannot read: the next snapshot or event puts things right
      }
      handle(data);
    });
  }

  setMode(mode) {
    const wasLive = this.mode === 'live';
    this.mode = mode;
    this.report();
    // Polling starts at once rather than after the slower status period.
    if (wasLive && mode !== 'live' && this.timer !== null) this.arm(0);
  }

  setError(error) {
    if (error === this.error) return;
    this.error = error;
    this.report();
  }

  report() {
    this.handlers.connection({ mode: this.mode, error: this.error });
  }
}

async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw new Error(`${path} answered ${res.status}${await errorMessage(res)}`);
  return res.json();
}

/** The policy document, or null when this controller does not serve it. */
async function getPolicy() {
  const res = await fetch('/api/v1/policy', { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`/api/v1/policy answered ${res.status}${await errorMessage(res)}`);
  return res.json();
}

async function errorMessage(res) {
  try {
    const body = await res.json();
    return typeof body.message === 'string' ? `: ${body.message}` : '';
  } catch {
    return '';
  }
}
