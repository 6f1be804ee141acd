/*
 * The main step as the runner sees it: runMain, every info line through the gate, and on
 * failure the details, one error line and the failure summary. main.ts hands it the real
 * runner; tests hand it one that renders the output as the runner would.
 */
import { errorDetails, errorLine } from './errors.ts';
import { logLine } from './external-text.ts';
import { runMain, type MainDependencies } from './run-main.ts';
import { wantsJobSummary } from './settings.ts';
import { failureSummary } from './summary.ts';

export interface MainStepDependencies extends Omit<MainDependencies, 'summarise' | 'runner'> {
  runner: MainDependencies['runner'] & { setFailed(message: string): void };
  /** Appends Markdown to the job summary; a failure to write it is ignored. */
  summarise(markdown: string): Promise<void>;
}

export async function mainStep({ input, env, runner, clock, summarise }: MainStepDependencies): Promise<void> {
  try {
    await runMain({
      input,
      env,
      // Every line goes through logLine: whatever text from outside a message holds, it stays one line.
      runner: { ...runner, info: (message: string) => runner.info(logLine(message)) },
      clock,
      summarise: (markdown) => void summarise(markdown).catch(() => undefined)
    });
  } catch (error) {
    const details = errorDetails(error);
    for (const line of details) runner.info(line);
    runner.setFailed(errorLine(error));
    let summaryWanted = true;
    try {
      summaryWanted = wantsJobSummary(input);
    } catch {
      // an invalid job-summary input is already the error reported above
    }
    if (summaryWanted) await summarise(failureSummary(errorLine(error), details)).catch(() => undefined);
  }
}
