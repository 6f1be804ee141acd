// Entry point of the post step. Cleanup never fails the job: problems become warnings.
import { removeProfiles } from './aws-profile-files.ts';
import { logLine } from './external-text.ts';
import { removeRefreshFolder } from './refresh-files.ts';
import { runPost } from './run-post.ts';
import { exportVariable, info, warning } from './workflow-commands.ts';

try {
  runPost(process.env, {
    exportVariable: (name, value) => exportVariable(name, value),
    info,
    warning,
    removeProfiles,
    removeRefreshFolder
  });
} catch (error) {
  warning(
    `Could not clean up: ${logLine(error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error))}`
  );
}
