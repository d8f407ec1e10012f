/**
 * Opens the state directory for `poolpilot run`: restores the last targets, overrides and pause,
 * and the recent decisions, so a restarted controller neither resets pools nor forgets.
 */
import type { Logger } from '../logger.js';
import { DecisionJournal } from '../state/decision-journal.js';
import type { DecisionRecord } from '../decision-log.js';
import { StateStore } from '../state/state-store.js';
import type { ControllerState } from '../state/state-store.js';
import { TRACE_BASE, TraceRecorder } from '../trace-recorder.js';

export interface OpenedState {
  readonly store: StateStore;
  readonly journal: DecisionJournal;
  /** Every tick and fast-path sample, to `trace.jsonl`. */
  readonly trace: TraceRecorder;
  readonly restored?: ControllerState;
  readonly restoredDecisions: readonly DecisionRecord[];
}

/** How many decisions are read back at start (the API shows at most 1,000). */
const RESTORED_DECISIONS = 1000;

export async function openState(dir: string, logger: Logger): Promise<OpenedState> {
  const store = new StateStore({ dir, logger });
  const journal = new DecisionJournal({ dir, logger });
  const loaded = await store.load();
  let restored: ControllerState | undefined;
  switch (loaded.kind) {
    case 'fresh':
      logger.info({ dir }, `no saved state in ${dir}: starting every pool at its base`);
      break;
    case 'restored':
      restored = loaded.state;
      logger.info(
        { dir, savedAt: loaded.savedAt, expiredOverrides: loaded.expiredOverrides },
        `restored the state saved at ${loaded.savedAt}`,
      );
      break;
    case 'corrupt':
      logger.warn(
        { dir, movedTo: loaded.movedTo, reason: loaded.reason },
        `the saved state is unusable (${loaded.reason}); moved it to ${loaded.movedTo} and starting clean`,
      );
      break;
  }
  const read = await journal.readRecent(RESTORED_DECISIONS);
  const trace = new TraceRecorder({ journal: new DecisionJournal({ dir, logger, base: TRACE_BASE }) });
  return { store, journal, trace, ...(restored ? { restored } : {}), restoredDecisions: read.records };
}
