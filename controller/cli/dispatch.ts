/**
 * The `poolpilot` command's dispatch to run, validate, simulate and compare (README "Commands").
 */
import { compareCommand } from './compare.js';
import { simulateCommand } from './simulate.js';
import type { CommandIo } from './io.js';
import { processIo } from './io.js';
import { runCommand } from './run.js';
import { USAGE } from './usage.js';
import { validateCommand } from './validate.js';

export async function main(argv: readonly string[], io: CommandIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return runCommand(rest, io);
    case 'validate':
      return validateCommand([...rest], io);
    case 'simulate':
      return simulateCommand([...rest], io);
    case 'compare':
      return compareCommand([...rest], io);
    case '--help':
    case '-h':
    case 'help':
      io.stdout(USAGE.main + '\n');
      return 0;
    case undefined:
      io.stderr(USAGE.main + '\n');
      return 2;
    default:
      io.stderr(`poolpilot: unknown command "${command}"\n${USAGE.main}\n`);
      return 2;
  }
}
