/** Where one step's time went, read from the services' timelines (same clock as the spawn). */
import type { ServerTimeline } from '../emulator/http-server.ts';
import type { StepResult } from '../emulator/runner.ts';
import { unionLength } from './stats.ts';

export interface StepTimes {
  wallMs: number;
  /** Milestones after spawn, in ms; absent when the step never got there. */
  tokenConnect?: number;
  tokenRequest?: number;
  tokenAnswer?: number;
  stsConnect?: number;
  stsRequest?: number;
  stsAnswer?: number;
  /** Time covered by an emulated network wait (handshakes, round trips). */
  networkWaitMs: number;
  /** wall − network waits: what the process itself took. */
  ownMs: number;
  connections: { token: number; sts: number };
  requests: { token: number; sts: number };
}

export function stepTimes(step: StepResult, token: ServerTimeline, sts: ServerTimeline): StepTimes {
  const from = step.startedAt;
  const to = step.startedAt + step.durationMs;
  const within = (timeline: ServerTimeline, kind: 'connection' | 'request' | 'response') =>
    timeline.events
      .filter((event) => event.kind === kind && event.at >= from && event.at <= to)
      .map((e) => e.at - from);
  const first = (values: number[]) => (values.length ? Math.min(...values) : undefined);
  const last = (values: number[]) => (values.length ? Math.max(...values) : undefined);
  const networkWaitMs = unionLength([...token.waits, ...sts.waits], from, to);
  const milestones = {
    tokenConnect: first(within(token, 'connection')),
    tokenRequest: first(within(token, 'request')),
    tokenAnswer: last(within(token, 'response')),
    stsConnect: first(within(sts, 'connection')),
    stsRequest: first(within(sts, 'request')),
    stsAnswer: last(within(sts, 'response'))
  };
  return {
    wallMs: step.durationMs,
    ...(Object.fromEntries(Object.entries(milestones).filter(([, at]) => at !== undefined)) as Partial<
      typeof milestones
    >),
    networkWaitMs,
    ownMs: step.durationMs - networkWaitMs,
    connections: { token: within(token, 'connection').length, sts: within(sts, 'connection').length },
    requests: { token: within(token, 'request').length, sts: within(sts, 'request').length }
  };
}
