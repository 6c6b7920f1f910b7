import { InvalidNameError } from '../errors/index.js';

export type NameKind = 'workflow' | 'task' | 'tenant' | 'package';

/** 03 §3.4. Neither pattern allows ':', so '::' can never appear inside a namespace part. */
export const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** Package names additionally exclude '.'. */
export const PACKAGE_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$/;

const MAX_NAME_LENGTH = 128;

/** Returns why `value` breaks the rules for `kind`, or undefined when it is valid. */
export function nameProblem(kind: NameKind, value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string (got ${value === null ? 'null' : typeof value})`;
  if (value.length === 0 || value.length > MAX_NAME_LENGTH) {
    return `must be 1 to ${MAX_NAME_LENGTH} characters long (got ${value.length})`;
  }
  if (!/^[A-Za-z0-9_]/.test(value)) return 'must start with an ASCII letter, a digit or an underscore';
  const pattern = kind === 'package' ? PACKAGE_NAME_PATTERN : NAME_PATTERN;
  if (!pattern.test(value)) {
    return kind === 'package'
      ? "may contain only ASCII letters, digits, '_' and '-'"
      : "may contain only ASCII letters, digits, '_', '.' and '-'";
  }
  return undefined;
}

export function isValidName(kind: NameKind, value: unknown): value is string {
  return nameProblem(kind, value) === undefined;
}

/** Throws InvalidNameError ("Invalid <kind> name '<s>': <rule>") unless `value` is valid. */
export function validateName(kind: NameKind, value: unknown): string {
  const problem = nameProblem(kind, value);
  if (problem !== undefined) throw new InvalidNameError(kind, String(value), problem);
  return value as string;
}
