// Entry point of the main step: wires the real runner, environment and clock into runMain.
import * as core from '@actions/core';
import { errorDetails, errorLine } from './errors.ts';
import { runMain } from './run-main.ts';

try {
  await runMain({
    input: (name) => core.getInput(name),
    env: process.env,
    runner: core,
    clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), random: Math.random }
  });
} catch (error) {
  for (const line of errorDetails(error)) core.info(line);
  core.setFailed(errorLine(error));
}
