/**
 * latest.svg from a result: which series and labels the picture shows. The
 * drawing itself is svg.ts; this file only maps BenchResult onto it.
 */
import type { BenchResult } from './result-types';
import { renderSvg } from './svg';

export function pictureOf(result: BenchResult): string {
  const p = result.profile;
  const rateSeries = (phases: BenchResult['steps'], label: string, color: string) => ({
    label,
    color,
    points: phases
      .map((s) => ({
        multiplier: s.multiplier,
        delivered: s.deliveredPerSec,
        expected: s.expectedPerSec,
        clean: s.clean,
      }))
      .sort((a, b) => a.multiplier - b.multiplier),
  });
  return renderSvg({
    title: `Mesh bench: ${p.groups} groups × ${p.nodes} nodes, ${p.statusPerSecPerGroup} status + ${p.batchesPerSecPerGroup} event batches /s/group`,
    subtitle: `${result.machine.cpus} CPUs (${result.machine.cpuModel}), Node ${result.machine.node}, ${result.target.local ? 'local stack' : result.target.url}, ${result.finishedAt.slice(0, 16).replace('T', ' ')} UTC — highest clean multiplier ×${result.maxCleanMultiplier}`,
    p99BoundMs: p.p99BoundMs,
    cdf: [
      {
        label: `mesh ×${p.multiplier} (p50 ${result.mesh.latencyMs.p50} ms, p99 ${result.mesh.latencyMs.p99} ms)`,
        color: '#1f77b4',
        points: result.cdf.mesh,
      },
      ...(result.baseline
        ? [
            {
              label: `baseline ws relay (p50 ${result.baseline.latencyMs.p50} ms, p99 ${result.baseline.latencyMs.p99} ms)`,
              color: '#ff7f0e',
              points: result.cdf.baseline,
            },
          ]
        : []),
    ],
    rates: [
      rateSeries(result.steps, 'mesh delivered / s', '#1f77b4'),
      ...(result.baselineSteps.length > 0
        ? [rateSeries(result.baselineSteps, 'baseline delivered / s', '#ff7f0e')]
        : []),
    ],
  });
}
