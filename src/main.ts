// Entry point of the main step: wires the real runner, environment and clock into mainStep.
import { mainStep } from './main-step.ts';
import * as commands from './workflow-commands.ts';

await mainStep({
  input: (name: string): string => commands.getInput(name),
  env: process.env,
  runner: {
    setSecret: (secret) => commands.setSecret(secret),
    exportVariable: (name, value) => commands.exportVariable(name, value),
    setOutput: (name, value) => commands.setOutput(name, value),
    saveState: (name, value) => commands.saveState(name, value),
    info: (message) => commands.info(message),
    warning: (message) => commands.warning(message),
    debug: (message) => commands.debug(message),
    setFailed: (message) => commands.setFailed(message)
  },
  clock: {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random
  },
  // The summary is a courtesy: a runner without GITHUB_STEP_SUMMARY must not fail the step.
  summarise: (markdown) => commands.appendSummary(markdown)
});
