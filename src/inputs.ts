/*
 * Generic readers for action inputs: presence, booleans, whole numbers in a range, and
 * one-item-a-line lists. They know nothing about AWS; the domain rules are in settings.ts.
 */
import { ActionError } from './errors.ts';

/** Returns an input's trimmed value, '' when it was not given (as getInput in workflow-commands.ts). */
export type InputReader = (name: string) => string;

export function required(input: InputReader, name: string): string {
  const value = input(name);
  if (!value) throw new ActionError(`Input ${name} is required: add it under "with:" in the step`);
  return value;
}

/** YAML 1.2 core-schema booleans, as the toolkit's getBooleanInput accepts them. */
export function booleanInput(input: InputReader, name: string, fallback: boolean): boolean {
  const value = input(name);
  if (value === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new ActionError(`Input ${name} "${value}" must be true or false`);
}

export interface WholeNumberRange {
  fallback: number;
  min: number;
  max: number;
  /** Appended to the error, e.g. the unit and a limit that is not checked here. */
  unit?: string;
  hint?: string;
}

export function wholeNumberInput(input: InputReader, name: string, range: WholeNumberRange): number {
  const value = input(name);
  if (value === '') return range.fallback;
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(number >= range.min && number <= range.max)) {
    const unit = range.unit ? ` ${range.unit}` : '';
    throw new ActionError(
      `Input ${name} "${value}" must be a whole number${unit} from ${range.min} to ${range.max}${range.hint ?? ''}`
    );
  }
  return number;
}

/** Non-empty trimmed items, split on newlines (or on `separator`). */
export function listInput(input: InputReader, name: string, separator: string | RegExp = /\r?\n/): string[] {
  return input(name)
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
