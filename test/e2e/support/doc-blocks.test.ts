import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { blockScript, curlBlocks, PRELUDE, type DocBlock } from './doc-blocks.js';

const fence = (lang: string, body: string) => '```' + lang + '\n' + body + '\n```\n';

/** Runs one block as the docs test does; true when it passes. */
function passes(text: string): boolean {
  const block: DocBlock = { line: 1, lang: 'sh', text: `${text}\n`, skip: undefined };
  return spawnSync('bash', ['-euo', 'pipefail', '-c', `${PRELUDE}\n${blockScript(block, 'x.md')}`], { encoding: 'utf8' }).status === 0;
}

describe('curlBlocks', () => {
  it('takes the sh, bash and console blocks that call curl, with their line and skip reason', () => {
    const md = [
      '# Title',
      fence('sh', 'curl localhost:8001/'),
      fence('yaml', 'curl: no'),
      fence('sh', 'echo nothing to fetch'),
      '<!-- docs-test: skip (needs a cloud vault) -->',
      fence('bash', 'curl a'),
      '<!-- docs-test: skip -->',
      fence('console', '$ curl b'),
      '<!-- docs-test: skip (too far above) -->',
      '',
      fence('sh', 'curl c'),
      fence('json', '{}'),
    ].join('\n');
    assert.deepEqual(
      curlBlocks(md).map((b) => [b.line, b.lang, b.text.trim(), b.skip]),
      [
        [2, 'sh', 'curl localhost:8001/', undefined],
        [15, 'bash', 'curl a', 'needs a cloud vault'],
        [20, 'console', '$ curl b', ''],
        [26, 'sh', 'curl c', undefined],
      ],
    );
  });
});

describe('blockScript', () => {
  const cases: [string, string, boolean][] = [
    ['a script whose commands succeed', 'true\nX=1\necho "$X"', true],
    ['a script with a failing command', 'true\nfalse\ntrue', false],
    ['a script with a failing command in a pipe', 'false | cat', false],
    ['a transcript showing the status the command prints', '$ printf "HTTP/1.1 401 Unauthorized\\n"\nHTTP/1.1 401 Unauthorized', true],
    ['a transcript showing another status', '$ printf "HTTP/1.1 200 OK\\n"\nHTTP/1.1 401 Unauthorized', false],
    ['a transcript showing the error code printed', `$ printf '{"code":"PC_X"}'; exit 22\n{"code":"PC_X","message":"m"}`, true],
    ['a transcript showing another error code', `$ printf '{"code":"PC_Y"}'; exit 22\n{"code":"PC_X","message":"m"}`, false],
    ['a transcript showing the numbers printed', '$ printf "201"\n201', true],
    ['a transcript showing other numbers', '$ printf "200"\n201', false],
    ['several numbers, spacing aside', '$ printf "401 401  401 "\n401 401 401', true],
    ['a command that fails while the page shows a success', '$ printf "{}"; exit 7\n{"id":"x"}', false],
    ['a command that fails while the page shows no output', '$ exit 7', false],
    ['a command that succeeds, with illustrative output', '$ printf "{}"\n{"id":"1234-…"}', true],
    ['a command continued on the next line', '$ printf "%s" \\\n  "201"\n201', true],
    ['a later command of the transcript failing', '$ true\n$ false\n$ true', false],
  ];
  for (const [name, text, ok] of cases) {
    it(`${ok ? 'passes' : 'fails'} ${name}`, () => assert.equal(passes(text), ok));
  }
});
