/**
 * Run under `ulimit -f 0` by the journal test: every write to a file fails (EFBIG; node ignores
 * SIGXFSZ), as on a full disk. Appends five records to the journal in the directory given as its
 * argument, flushes, and prints what the journal counted and warned as one JSON line.
 */
import { DecisionJournal } from '../../controller/state/decision-journal.js';
import { sampleRecord } from './fixtures.js';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: disk-full-child.js DIR');

const warnings: string[] = [];
const journal = new DecisionJournal({ dir, logger: { warn: (_o, msg) => void warnings.push(msg ?? '') } });
for (let i = 0; i < 5; i++) journal.append(sampleRecord(`r-${i}`));
const flushed = await journal.flush();
const stats = journal.stats;
await journal.close();
console.log(JSON.stringify({ flushed, stats, warnings }));
