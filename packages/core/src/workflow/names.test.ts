import { describe, expect, it } from 'vitest';
import { InvalidNameError, ValidationError } from '../errors/index.js';
import { isValidName, nameProblem, validateName, type NameKind } from './names.js';

describe('name rules (3.4)', () => {
  it('accepts valid names of every kind', () => {
    for (const kind of ['workflow', 'task', 'tenant', 'package'] as NameKind[]) {
      for (const name of ['a', 'A9', '_x', '9lives', 'with-dash', 'x'.repeat(128)]) {
        expect(validateName(kind, name)).toBe(name);
        expect(isValidName(kind, name)).toBe(true);
      }
    }
    expect(validateName('workflow', 'etl.v2')).toBe('etl.v2');
    expect(validateName('task', 'a.b-c_d')).toBe('a.b-c_d');
  });

  it('package names exclude dots', () => {
    expect(isValidName('package', 'my.pkg')).toBe(false);
    expect(() => validateName('package', 'my.pkg')).toThrow(
      "Invalid package name 'my.pkg': may contain only ASCII letters, digits, '_' and '-'",
    );
  });

  const cases: [NameKind, unknown, string][] = [
    ['workflow', '', "Invalid workflow name '': must be 1 to 128 characters long (got 0)"],
    ['task', 'x'.repeat(129), `Invalid task name '${'x'.repeat(129)}': must be 1 to 128 characters long (got 129)`],
    ['tenant', '-a', "Invalid tenant name '-a': must start with an ASCII letter, a digit or an underscore"],
    ['task', '.a', "Invalid task name '.a': must start with an ASCII letter, a digit or an underscore"],
    ['task', 'a::b', "Invalid task name 'a::b': may contain only ASCII letters, digits, '_', '.' and '-'"],
    ['workflow', 'has space', "Invalid workflow name 'has space': may contain only ASCII letters, digits, '_', '.' and '-'"],
    ['task', 'héllo', "Invalid task name 'héllo': may contain only ASCII letters, digits, '_', '.' and '-'"],
    ['task', 42, "Invalid task name '42': must be a string (got number)"],
    ['workflow', undefined, "Invalid workflow name 'undefined': must be a string (got undefined)"],
  ];
  it.each(cases)('%s %j is refused', (kind, value, message) => {
    let caught: unknown;
    try {
      validateName(kind, value);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvalidNameError);
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as Error).message).toBe(message);
    expect((caught as InvalidNameError).kind).toBe(kind);
    expect((caught as InvalidNameError).code).toBe('INVALID_NAME');
    expect(nameProblem(kind, value)).toBeDefined();
  });

  it('nothing valid can contain "::"', () => {
    for (const kind of ['workflow', 'task', 'tenant', 'package'] as NameKind[]) expect(isValidName(kind, 'a:b')).toBe(false);
  });
});
