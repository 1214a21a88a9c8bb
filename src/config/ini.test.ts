import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from './errors.js';
import { type IniDocument, parseIni, unquote } from './ini.js';

function entries(doc: IniDocument, section: string): Record<string, string> {
  const s = doc.sections.find((x) => x.name === section);
  assert.ok(s, `section ${section}`);
  return Object.fromEntries(s.entries.map((e) => [e.key, e.value]));
}

function fails(text: string, message: string, line: number) {
  assert.throws(
    () => parseIni(text, 'x.cfg'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.message, message);
      assert.equal(e.line, line);
      assert.equal(e.file, 'x.cfg');
      return true;
    },
  );
}

describe('INI reader (configparser.RawConfigParser compatible)', () => {
  it('reads sections, both delimiters, comments and blank lines, with line numbers', () => {
    const doc = parseIni(
      '# head comment\n; another\n\n[a]\nk1 = v1\n  # indented comment\nk2: v2\n\n[b]\nk3=v3\n',
      'x.cfg',
    );
    assert.deepEqual(
      doc.sections.map((s) => [s.name, s.line]),
      [
        ['a', 4],
        ['b', 9],
      ],
    );
    assert.deepEqual(doc.sections[0].entries, [
      { key: 'k1', value: 'v1', line: 5 },
      { key: 'k2', value: 'v2', line: 7 },
    ]);
    assert.deepEqual(entries(doc, 'b'), { k3: 'v3' });
  });

  it('splits at the first = or :, so values may hold both', () => {
    const doc = parseIni('[s]\nurl: redis://h:1/0\nfmt = a:b=c\ntime = %H:%M\n', 'x.cfg');
    assert.deepEqual(entries(doc, 's'), { url: 'redis://h:1/0', fmt: 'a:b=c', time: '%H:%M' });
  });

  it('keeps %(asctime)s and %% verbatim (no interpolation)', () => {
    const doc = parseIni('[s]\nf = %(asctime)s %(levelname)-8s 100%% %(message)s\n', 'x.cfg');
    assert.equal(entries(doc, 's').f, '%(asctime)s %(levelname)-8s 100%% %(message)s');
  });

  it('strips one pair of matching quotes, and only that', () => {
    const doc = parseIni(
      `[s]\na = "smpps_01"\nb = 'x y'\nc = "half\nd = 'mixed"\ne = say "hi"\nf = ""\ng = "a" "b"\n`,
      'x.cfg',
    );
    assert.deepEqual(entries(doc, 's'), {
      a: 'smpps_01',
      b: 'x y',
      c: '"half',
      d: `'mixed"`,
      e: 'say "hi"',
      f: '',
      g: 'a" "b',
    });
    assert.equal(unquote('"'), '"');
  });

  it('has no inline comments, as configparser', () => {
    assert.equal(entries(parseIni('[s]\nport = 2775 # default\n', 'x.cfg'), 's').port, '2775 # default');
  });

  it('accepts tabs, CRLF, a BOM, empty values and a comment after a header', () => {
    const doc = parseIni('\uFEFF[s] # the server\r\nid\t\t\t= "a"\r\nempty =\r\n', 'x.cfg');
    assert.deepEqual(entries(doc, 's'), { id: 'a', empty: '' });
  });

  it('joins continuation lines (deeper indent) with newlines; inner blanks kept, trailing dropped, comments skipped', () => {
    const doc = parseIni('[s]\nk = one\n  two\n\n  # not part\n  three\n\nnext = x\n', 'x.cfg');
    assert.deepEqual(entries(doc, 's'), { k: 'one\ntwo\n\nthree', next: 'x' });
    assert.equal(doc.sections[0].entries[1].line, 8);
  });

  it('treats an indented key under a section as a key, not a continuation', () => {
    const doc = parseIni('[s]\n  a = 1\n  b = 2\n', 'x.cfg');
    assert.deepEqual(entries(doc, 's'), { a: '1', b: '2' });
  });

  it('refuses duplicate sections and keys (case-insensitive keys), naming both lines', () => {
    fails('[s]\na = 1\n[s]\n', 'x.cfg [s]: duplicate section (first at line 1) (line 3)', 3);
    fails(
      '[s]\nPort = 1\n\nport = 2\n',
      'x.cfg [s] port: duplicate key (first at line 2; keys are case-insensitive) (line 4)',
      4,
    );
  });

  it('refuses keys before any section, lines that are nothing, bad headers and empty keys', () => {
    fails('a = 1\n', 'x.cfg a: a key before any [section] header (every key belongs to a section) (line 1)', 1);
    fails(
      '[s]\njust words\n',
      'x.cfg [s]: "just words" is not a "key = value" line, a [section] header or a comment (line 2)',
      2,
    );
    fails(
      '[s] junk\n',
      'x.cfg: "[s] junk" is not a [section] header (a header is the name in brackets, alone on its line) (line 1)',
      1,
    );
    fails(
      '[]\n',
      'x.cfg: "[]" is not a [section] header (a header is the name in brackets, alone on its line) (line 1)',
      1,
    );
    fails('[s]\n= 1\n', 'x.cfg [s]: a value with no key before it (line 2)', 2);
  });

  it('reads an empty text as no sections', () => {
    assert.deepEqual(parseIni('', 'x.cfg'), { sections: [] });
    assert.deepEqual(parseIni('# only a comment\n\n', 'x.cfg'), { sections: [] });
  });
});
