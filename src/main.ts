// Entry point of the main step: wires the real runner, environment and clock into mainStep.
import * as core from '@actions/core';
import { mainStep } from './main-step.ts';

/** The summary is a courtesy: a runner without GITHUB_STEP_SUMMARY must not fail the step. */
async function summarise(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await core.summary.addRaw(markdown).write();
}

await mainStep({
  input: (name: string): string => core.getInput(name),
  env: process.env,
  runner: core,
  clock: {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random
  },
  summarise
});
