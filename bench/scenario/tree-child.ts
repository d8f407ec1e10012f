/**
 * Writes the scenario's file set: `node tree-child.js ROOT FILES BYTES`, run inside a throwaway
 * memory cgroup so that the page cache of the writes is charged there and dropped with it: every
 * arm's NAS then reads the files cold, charged to its own cgroup, as a NAS that did not write them.
 */
import { generateSampleTree } from '../../examples/nas-service/sample-tree.js';

const [root, files, bytes] = process.argv.slice(2);
generateSampleTree(root as string, { files: Number(files), sizeBytes: Number(bytes) }).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`tree-child: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
