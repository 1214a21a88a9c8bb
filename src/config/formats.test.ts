import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogFormatError, parseDateFormat, parseLogFormat } from './formats.js';

function rejects(parse: (f: string) => unknown, format: string, message: RegExp, offset: number) {
  assert.throws(
    () => parse(format),
    (e: unknown) => {
      assert.ok(e instanceof LogFormatError);
      assert.match(e.message, message);
      assert.equal(e.offset, offset);
      return true;
    },
  );
}

describe('log_format grammar', () => {
  it("parses Jasmin's default format into text and fields", () => {
    assert.deepEqual(parseLogFormat('%(asctime)s %(levelname)-8s %(process)d %(message)s'), [
      { kind: 'field', attr: 'asctime', flags: '', width: null, precision: null, conversion: 's' },
      { kind: 'text', text: ' ' },
      { kind: 'field', attr: 'levelname', flags: '-', width: 8, precision: null, conversion: 's' },
      { kind: 'text', text: ' ' },
      { kind: 'field', attr: 'process', flags: '', width: null, precision: null, conversion: 'd' },
      { kind: 'text', text: ' ' },
      { kind: 'field', attr: 'message', flags: '', width: null, precision: null, conversion: 's' },
    ]);
  });

  it('reads %% as a literal %, and widths, precisions and flags', () => {
    assert.deepEqual(parseLogFormat('100%% [%(msecs)03d] %(levelname).1s'), [
      { kind: 'text', text: '100% [' },
      { kind: 'field', attr: 'msecs', flags: '0', width: 3, precision: null, conversion: 'd' },
      { kind: 'text', text: '] ' },
      { kind: 'field', attr: 'levelname', flags: '', width: null, precision: 1, conversion: 's' },
    ]);
    assert.deepEqual(parseLogFormat(''), []);
  });

  it('refuses what Python would fail on at the first log line', () => {
    rejects(parseLogFormat, 'x %(funcName)s', /%\(funcName\) is not a supported attribute \(supported: asctime, /, 2);
    rejects(parseLogFormat, '%(message)', /must end with a conversion among s r a d i u x X o f F \(got nothing\)/, 0);
    rejects(parseLogFormat, '%(message)q', /\(got "q"\)/, 0);
    rejects(parseLogFormat, '%(levelname)d', /%\(levelname\) is text: format it with s, not d/, 0);
    rejects(parseLogFormat, 'a %s', /"%s" is not a field: name an attribute as %\(message\)s, or write %% for "%"/, 2);
    rejects(parseLogFormat, '100%', /a "%" at the end is not a field/, 3);
  });
});

describe('log_date_format grammar', () => {
  it('parses directives, glibc padding flags and %%', () => {
    assert.deepEqual(parseDateFormat('%Y-%m-%d %-H:%M 100%%'), [
      { kind: 'directive', directive: 'Y', pad: '' },
      { kind: 'text', text: '-' },
      { kind: 'directive', directive: 'm', pad: '' },
      { kind: 'text', text: '-' },
      { kind: 'directive', directive: 'd', pad: '' },
      { kind: 'text', text: ' ' },
      { kind: 'directive', directive: 'H', pad: '-' },
      { kind: 'text', text: ':' },
      { kind: 'directive', directive: 'M', pad: '' },
      { kind: 'text', text: ' 100%' },
    ]);
  });

  it('refuses unknown directives and a trailing %', () => {
    rejects(parseDateFormat, '%Y %Q', /"%Q" is not a supported date directive \(supported: %a %A /, 3);
    rejects(parseDateFormat, '%Y %', /a "%" at the end: write %% for "%"/, 3);
    rejects(parseDateFormat, '%-', /a "%" at the end/, 0);
  });
});
