// Where the page's data comes from. A snapshot of the REST API first (status, the last 100
// decisions, the policy), then the event stream (`decision`, `signals`, `config`, `reset`), opened
// from the id of the latest event the snapshot includes (its `Poolpilot-Event-Id` header), so that
// an event published between the two is replayed rather than missed. When
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
    /** The id of the latest event the state shown includes (a status read or a `signals` event). */
    this.shownId = 0;
    this.policyLoadedAt = null;
    this.timer = null;
    this.dueAt = 0;
    this.busy = false;
  }

  /** Reads the snapshot, then opens the stream from its event id; then the timed reads, one at a time. */
  start() {
    void this.snapshot().finally(() => {
      this.openStream();
      this.arm();
    });
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
      // Replay from the older of the two reads: a decision settled in between is upserted again,
      // and a `signals` event older than the status shown is skipped (see `shownId`).
      const ids = [status[EVENT_ID], decisions[EVENT_ID]].filter((id) => id !== null);
      if (ids.length > 0) this.lastEventId = Math.min(...ids);
      this.shownId = status[EVENT_ID] ?? 0;
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
      // Without a stream, the page is as new as its reads: a stream opened later starts here.
      if (this.stream === null && decisions[EVENT_ID] !== null) {
        this.lastEventId = Math.min(decisions[EVENT_ID], this.shownId);
      }
    });
  }

  async readStatus(sample) {
    const status = await getJson('/api/v1/status');
    // Read before a `signals` event that is shown already: older than the page; the next read.
    if (status[EVENT_ID] !== null && status[EVENT_ID] < this.shownId) return;
    this.shownId = status[EVENT_ID] ?? this.shownId;
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
    this.on(stream, 'signals', (data, id) => {
      if (id !== null && id <= this.shownId) return; // the status shown is newer
      if (id !== null) this.shownId = id;
      this.handlers.signals(data);
      this.soon();
    });
    this.on(stream, 'config', (data) => {
      this.handlers.config(data);
      if (data.loadedAt !== this.policyLoadedAt) void this.refresh();
    });
    // Events were lost for good: a new snapshot, and the stream again from its id.
    stream.addEventListener('reset', () => {
      stream.close();
      this.stream = null;
      this.lastEventId = null;
      void this.snapshot().finally(() => this.openStream());
    });
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
      const id = event.lastEventId !== '' ? Number(event.lastEventId) : null;
      if (id !== null) this.lastEventId = id;
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return; // a frame this page cannot read: the next snapshot or event puts things right
      }
      handle(data, id);
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

/** Where `getJson` puts the id of the latest event its document includes (null when not said). */
const EVENT_ID = Symbol('eventId');

async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw new Error(`${path} answered ${res.status}${await errorMessage(res)}`);
  const body = await res.json();
  const id = res.headers.get('poolpilot-event-id');
  body[EVENT_ID] = id !== null && /^\d+$/.test(id) ? Number(id) : null;
  return body;
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
