/**
 * The process the SIGKILL test kills: it resumes from the state directory given as its argument,
 * then saves state and appends journal lines as fast as it can, printing `acked <n> <j>` each
 * time state `n` and journal record `j` are known to be on disk.
 */
import { DecisionJournal } from '../../controller/state/decision-journal.js';
import { StateStore } from '../../controller/state/state-store.js';
import { sampleRecord, sampleState } from './fixtures.js';

/** Small limits, so that kills also land during rotations. */
const CHILD_JOURNAL_LIMITS = { maxFileBytes: 16 * 1024, maxTotalBytes: 64 * 1024 } as const;

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: crash-child.js DIR');

const store = new StateStore({ dir });
const journal = new DecisionJournal({ dir, ...CHILD_JOURNAL_LIMITS });
const loaded = await store.load();
if (loaded.kind === 'corrupt') {
  console.log(`corrupt ${loaded.reason}`);
  process.exit(3);
}
let n = loaded.kind === 'restored' ? (loaded.state.decisionState.pools['nas/read']?.capacity ?? 0) : 0;
const newest = (await journal.readRecent(1)).records[0];
let j = newest === undefined ? 0 : Number(newest.id.slice(2));
console.log(`start ${n} ${j}`);

for (;;) {
  n++;
  store.save(sampleState(n));
  for (let k = 0; k < 5; k++) journal.append(sampleRecord(`r-${++j}`, n));
  const [saved] = await Promise.all([store.flush(), journal.flush()]);
  if (!saved) throw new Error(`state ${n} not saved: ${store.stats.lastError}`);
  console.log(`acked ${n} ${j}`);
}
