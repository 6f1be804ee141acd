/* The emulator's log follows the runner's command rules (docs/runner-contract.md), attacks included. */
import { LogRenderer, namedValues } from '../../emulator/log-renderer.ts';

const render = (output: string, debug = false) => {
  const renderer = new LogRenderer({ debug });
  return { log: renderer.render(output), renderer };
};

describe('the runner emulation renders output as the runner does', () => {
  it('hides add-mask and masks the value in every later line, not earlier ones', () => {
    const { log } = render('early s3cret\n::add-mask::s3cret\nlate s3cret\n');
    expect(log).toEqual(['early s3cret', 'late ***']);
  });

  it('takes a line as a command after leading white space, U+0085 included', () => {
    const { log } = render('   ::error::indented\n\u0085::warning::after NEL\nsay ::error::not at the start\n');
    expect(log).toEqual(['Error: indented', 'Warning: after NEL', 'say ::error::not at the start']);
  });

  it('prints an unknown ::name:: line as text and ends lines at CR, LF and CRLF', () => {
    const { log } = render('::no-such-command::x\rsecond::\r\n::notice::third\n');
    expect(log).toEqual(['::no-such-command::x', 'second::', 'Notice: third']);
  });

  it('ignores every command after stop-commands, add-mask included, until the resume line', () => {
    const { log, renderer } = render(
      '::stop-commands::pause42\n::add-mask::hunter2\n::error::shown as text\n::PAUSE42::\n::add-mask::hunter3\nhunter2 hunter3\n'
    );
    expect(log).toEqual([
      '::stop-commands::pause42',
      '::add-mask::hunter2',
      '::error::shown as text',
      '::PAUSE42::',
      'hunter2 ***'
    ]);
    expect(renderer.stopped).toBe(false);
  });

  it('never resumes after a stop-commands without a token', () => {
    const { renderer } = render('::stop-commands::\n::::\n::add-mask::x1\n');
    expect(renderer.stopped).toBe(true);
    expect(renderer.masks.has('x1')).toBe(false);
  });

  it('acts on the older ##[name] form anywhere in a line', () => {
    const { log, renderer } = render('STS said: ##[stop-commands]tok\n::add-mask::k3y\nk3y\n');
    expect(renderer.stopped).toBe(true);
    expect(log).toContain('::add-mask::k3y');
    expect(log.at(-1)).toBe('k3y');
  });

  it('records set-output and save-state, and fails the step on set-env and add-path', () => {
    const { log, renderer } = render(
      '::set-output name=role::evil\n##[save-state name=cleanup;]{}\n::set-env name=AWS_REGION::x\n'
    );
    expect(namedValues(renderer.commands, 'set-output')).toEqual({ role: 'evil' });
    expect(namedValues(renderer.commands, 'save-state')).toEqual({ cleanup: '{}' });
    expect(renderer.failed).toBe(true);
    expect(log).toEqual(["Error: Unable to process command '::set-env name=AWS_REGION::x' successfully."]);
  });

  it('unescapes %0A in data, so one escaped line can mask a value with a line break', () => {
    const { log } = render('::add-mask::abc%0Adef\nabc def\n::debug::d%25\n', true);
    expect(log).toEqual(['*** ***', '##[debug]d%']);
  });
});
