// Entry point of the main step: wires the real runner, environment and clock into runMain.
import * as core from '@actions/core';
import { errorDetails, errorLine } from './errors.ts';
import { logLine } from './external-text.ts';
import { runMain } from './run-main.ts';
import { wantsJobSummary } from './settings.ts';
import { failureSummary } from './summary.ts';

const input = (name: string): string => core.getInput(name);

/** The summary is a courtesy: a runner without GITHUB_STEP_SUMMARY must not fail the step. */
async function summarise(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary.addRaw(markdown).write();
}

try {
  await runMain({
    input,
    env: process.env,
    // Every line goes through logLine: whatever text from outside a message holds, it stays one line.
    runner: { ...core, info: (message: string) => core.info(logLine(message)) },
    clock: {
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random
    },
    summarise: (markdown) => void summarise(markdown).catch(() => undefined)
  });
} catch (error) {
  const details = errorDetails(error);
  for (const line of details) core.info(line);
  core.setFailed(errorLine(error));
  let summaryWanted = true;
  try {
    summaryWanted = wantsJobSummary(input);
  } catch {
    // an invalid job-summary input is already the error reported above
  }
  if (summaryWanted) await summarise(failureSummary(errorLine(error), details)).catch(() => undefined);
}
