/** Sums a V8 .cpuprofile (node --cpu-prof) into self time per script, for where main's CPU goes. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self time in ms per script (node's own modules together), largest first. */
export function selfTimeByScript(file: string): { totalMs: number; parts: [string, number][] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const where = new Map<number, string>();
  for (const { id, callFrame } of profile.nodes) {
    const { url, functionName } = callFrame;
    where.set(
      id,
      url.startsWith('node:') ? 'node built-in modules' : url ? basename(url) : functionName || '(anonymous)'
    );
  }
  const totals = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const key = where.get(id) ?? '?';
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000);
  });
  return {
    totalMs: (profile.endTime - profile.startTime) / 1000,
    parts: [...totals].sort((a, b) => b[1] - a[1])
  };
}
