/**
 * The scenario's verdict: the goals of issue 12 checked over the arms' summaries, and the markdown
 * table of the run (per arm: calm and whole-run throughput, p99, failures, OOM kills, restarts).
 */
import type { ArmResult } from './records.js';
import type { Plan } from './plan.js';

/** One goal and whether it held. */
export interface GoalCheck {
  readonly goal: string;
  readonly pass: boolean;
  readonly detail: string;
}

const MiB = 1024 * 1024;

function find(arms: readonly ArmResult[], name: string): ArmResult | undefined {
  return arms.find((a) => a.name === name);
}

/** Whether an arm visibly failed: an OOM kill, a restart or a failed request. */
export function visiblyFailed(arm: ArmResult): boolean {
  return arm.oomKills > 0 || arm.restarts > 0 || arm.summary.failed > 0;
}

export function checkGoals(arms: readonly ArmResult[]): GoalCheck[] {
  const adaptive = find(arms, 'adaptive');
  const large = find(arms, 'static-large');
  const small = find(arms, 'static-small');
  const checks: GoalCheck[] = [];
  if (adaptive !== undefined) {
    checks.push({
      goal: 'adaptive: zero OOM kills',
      pass: adaptive.oomKills === 0,
      detail: `${adaptive.oomKills} OOM kills, ${adaptive.restarts} restarts`,
    });
    checks.push({
      goal: 'adaptive: zero failed requests',
      pass: adaptive.summary.failed === 0,
      detail: `${adaptive.summary.failed} failed of ${adaptive.summary.ok + adaptive.summary.failed}`,
    });
  }
  if (large !== undefined) {
    checks.push({
      goal: 'static-large visibly fails (an OOM kill or failed requests)',
      pass: visiblyFailed(large),
      detail: `${large.oomKills} OOM kills, ${large.restarts} restarts, ${large.summary.failed} failed requests`,
    });
  }
  if (adaptive !== undefined && large !== undefined) {
    const ratio = adaptive.summary.calmRps / large.summary.calmRps;
    checks.push({
      goal: 'adaptive calm throughput >= 90 % of static-large',
      pass: ratio >= 0.9,
      detail: `${adaptive.summary.calmRps} / ${large.summary.calmRps} req/s = ${(100 * ratio).toFixed(1)} %`,
    });
  }
  if (adaptive !== undefined && small !== undefined) {
    const ratio = adaptive.summary.wholeRps / small.summary.wholeRps;
    checks.push({
      goal: 'adaptive whole-run throughput >= 1.5x static-small',
      pass: ratio >= 1.5,
      detail: `${adaptive.summary.wholeRps} / ${small.summary.wholeRps} req/s = ${ratio.toFixed(2)}x`,
    });
  }
  return checks;
}

function neighbourEnd(arm: ArmResult): string {
  const n = arm.neighbour;
  if (n === null) return 'not started';
  if (n.signal !== null) return `killed (${n.signal})${n.heldS === null ? ' before it held its memory' : ''}`;
  if (n.endS === null) return 'still running at the end';
  return n.exitCode === 0 ? 'left on its own' : `exit ${n.exitCode}`;
}

export function markdownReport(
  plan: Plan,
  arms: readonly ArmResult[],
  goals: readonly GoalCheck[],
  command: string,
): string {
  const t = plan.timeline;
  const lines = [
    `# poolpilot scenario: a memory squeeze on a real kernel`,
    '',
    `Command: \`${command}\`; ${new Date().toISOString()}.`,
    '',
    `Memory cgroup limit ${plan.limitBytes / MiB} MiB; ${plan.files} files of ${plan.fileBytes / 1024} KiB ` +
      `(${Math.round((plan.files * plan.fileBytes) / MiB)} MiB); ${Math.round(plan.hotShare * 100)} % of requests to ` +
      `the first ${plan.hotFiles} files; ${plan.connections} connections, closed loop, ${plan.timeoutMs} ms timeout. ` +
      `Timeline: warm ${t.warmS} s, calm ${t.calmS} s, then a neighbour in the cgroup allocates ` +
      `${plan.neighbourBytes / MiB} MiB over ${t.rampS} s, holds it ${t.holdS} s and leaves; ${t.afterS} s after.`,
    '',
    '| arm | pools | calm req/s | whole-run req/s | req/s with neighbour | p99 ms (whole run) | p99 ms with neighbour | failed requests | OOM kills | NAS restarts | neighbour |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const arm of arms) {
    const s = arm.summary;
    const pools =
      arm.arm.kind === 'static'
        ? Object.entries(arm.arm.capacities)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')
        : `poolpilot, preset \`${arm.arm.preset}\``;
    lines.push(
      `| ${arm.name} | ${pools} | ${s.calmRps} | ${s.wholeRps} | ${s.neighbourRps} | ${s.p99Ms} | ${s.neighbourP99Ms} | ` +
        `${s.failed} | ${arm.oomKills} | ${arm.restarts} | ${neighbourEnd(arm)} |`,
    );
  }
  lines.push('', '| goal | result | |', '|---|---|---|');
  for (const g of goals) lines.push(`| ${g.goal} | ${g.detail} | ${g.pass ? 'pass' : '**FAIL**'} |`);
  const notes = [...new Set(arms.flatMap((a) => a.notes))];
  if (notes.length > 0) lines.push('', ...notes.map((n) => `- ${n}`));
  lines.push('', ...arms.map((a) => `![${a.name}](${a.name}.svg)`));
  return lines.join('\n') + '\n';
}
