import { describe, expect, it } from 'vitest';
import { InvalidNamespaceError, ValidationError } from '../errors/index.js';
import { compareNamespaces, formatNamespace, isNamespace, parseNamespace } from './namespace.js';

describe('namespaces', () => {
  it('format and parse round-trip', () => {
    const ns = { tenantId: 'public', packageName: 'embedded', workflowId: 'etl', taskId: 'extract' };
    expect(formatNamespace(ns)).toBe('public::embedded::etl::extract');
    expect(parseNamespace('public::embedded::etl::extract')).toEqual(ns);
    expect(isNamespace('public::embedded::etl::extract')).toBe(true);
  });

  it.each(['a::b::c', 'a::b::c::d::e', '::b::c::d', 'a::b::::d', 'a::b::c::', '', 'plain'])('parse refuses %j', (text) => {
    expect(() => parseNamespace(text)).toThrow(InvalidNamespaceError);
    expect(() => parseNamespace(text)).toThrow(ValidationError);
    expect(() => parseNamespace(text)).toThrow(`Invalid namespace format '${text}'. Expected 'tenant::package::workflow::task'`);
    expect(isNamespace(text)).toBe(false);
  });

  it('format refuses parts that could not be parsed back', () => {
    expect(() => formatNamespace({ tenantId: '', packageName: 'p', workflowId: 'w', taskId: 't' })).toThrow(InvalidNamespaceError);
    expect(() => formatNamespace({ tenantId: 't', packageName: 'p', workflowId: 'w', taskId: 'a::b' })).toThrow(
      "Invalid namespace format 't::p::w::a::b'. Expected 'tenant::package::workflow::task'",
    );
  });

  it('compares part by part', () => {
    expect(compareNamespaces('a::b::c::d', 'a::b::c::d')).toBe(0);
    expect(compareNamespaces('a::b::c::d', 'a::b::c::e')).toBe(-1);
    expect(compareNamespaces('b::a::a::a', 'a::z::z::z')).toBe(1);
    // whole-string comparison would put 'a-x' first because '-' < ':'
    expect(compareNamespaces('t::p::a::z', 't::p::a-x::a')).toBe(-1);
    expect('t::p::a::z' < 't::p::a-x::a').toBe(false);
    expect(compareNamespaces({ tenantId: 'a', packageName: 'b', workflowId: 'c', taskId: 'd' }, 'a::b::c::d')).toBe(0);
  });
});
