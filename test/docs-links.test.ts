/**
 * The documentation's cross-references hold: every relative link of README.md, SECURITY.md,
 * CHANGELOG.md and docs/*.md names an existing file and, with `#anchor`, an existing heading of it
 * (GitHub's anchor rules); every "§N" / "section N" names a numbered heading of the page it points
 * to (the page named just before it, else its own page); docs/README.md indexes every page. Code
 * blocks and inline code are not read.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FILES = [
  ...['README.md', 'SECURITY.md', 'CHANGELOG.md'].filter((f) => existsSync(join(ROOT, f))),
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

/** The text a reader sees: no fenced blocks, no inline code spans (their content is not a link). */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '``');
}

/** GitHub's anchor for a heading: link text kept, lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor of a file: headings (repeats get -1, -2 …) and explicit `id`/`name` attributes. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) out.add(m[1]!);
  return out;
}

/** Section numbers of a file's headings: "## 4. Contracts" → 4, "### 4.3 Vault references" → 4.3. */
function sections(markdown: string): Set<string> {
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  return new Set([...text.matchAll(/^#{1,6}\s+(\d+(?:\.\d+)*)[.\s]/gm)].map((m) => m[1]!));
}

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

function brokenLinks(file: string): string[] {
  const problems: string[] = [];
  for (const m of prose(read(file)).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    const [path, anchor] = target.split('#') as [string, string | undefined];
    const abs = path === '' ? join(ROOT, file) : resolve(dirname(join(ROOT, file)), decodeURIComponent(path));
    if (!existsSync(abs)) {
      problems.push(`${file}: ${target}: no file ${relative(ROOT, abs)}`);
      continue;
    }
    if (anchor === undefined || !abs.endsWith('.md') || statSync(abs).isDirectory()) continue;
    if (!anchors(readFileSync(abs, 'utf8')).has(decodeURIComponent(anchor)))
      problems.push(`${file}: ${target}: no heading #${anchor} in ${relative(ROOT, abs)}`);
  }
  return problems;
}

function brokenSectionReferences(file: string): string[] {
  const problems: string[] = [];
  const text = prose(read(file));
  for (const m of text.matchAll(/(?:([\w./-]+)\s+)?(?:§\s?|\b[Ss]ection )(\d+(?:\.\d+)*)/g)) {
    const before = m[1];
    // "RFC 6749 §4.4", "issue 12 §1": a section of another document than ours.
    if (before !== undefined && /^\d+$/.test(before)) continue;
    const page = before?.endsWith('.md') ? resolve(dirname(join(ROOT, file)), before) : join(ROOT, file);
    const where = relative(ROOT, page);
    if (!existsSync(page)) problems.push(`${file}: ${m[0]}: no file ${where}`);
    else if (!sections(readFileSync(page, 'utf8')).has(m[2]!)) problems.push(`${file}: ${m[0]}: ${where} has no section ${m[2]}`);
  }
  return problems;
}

describe('documentation links', () => {
  it('makes anchors as GitHub does', () => {
    const cases: [string, string][] = [
      ['1. References', '1-references'],
      ['`env`: environment variables', 'env-environment-variables'],
      ['Waiting until every node refuses a key (`?wait=`)', 'waiting-until-every-node-refuses-a-key-wait'],
      ['12. `Expect: 100-continue` only after authentication', '12-expect-100-continue-only-after-authentication'],
      ['`/snis` and `/certificates/{certificate}/snis`', 'snis-and-certificatescertificatesnis'],
      ['Anonymous: either credential, or a fallback consumer', 'anonymous-either-credential-or-a-fallback-consumer'],
      ['See [the guide](x.md) — twice', 'see-the-guide--twice'],
    ];
    for (const [heading, anchor] of cases) assert.equal(slug(heading), anchor, heading);
  });

  it('finds the files to check', () => assert.ok(FILES.length >= 10, FILES.join(', ')));

  it('README.md names only npm scripts that package.json has (npm start, npm test, npm run …)', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    const named = [...read('README.md').matchAll(/(?:^|&& )npm (?:run )?([a-z][\w:-]*)/gm)]
      .map((m) => m[1]!)
      .filter((s) => !['ci', 'install', 'link'].includes(s));
    assert.ok(named.includes('start') && named.includes('test'), `README.md shows ${named.join(', ')}`);
    assert.deepEqual(
      named.filter((s) => !(s in scripts)),
      [],
    );
  });

  it('docs/README.md links every page of docs/', () => {
    const index = prose(read('docs/README.md'));
    const missing = readdirSync(join(ROOT, 'docs')).filter(
      (f) => (f.endsWith('.md') || f.endsWith('.service')) && f !== 'README.md' && !index.includes(`](${f}`),
    );
    assert.deepEqual(missing, [], 'add them to the index in docs/README.md');
  });

  for (const file of FILES) {
    it(`${file}: every relative link names an existing file and heading`, () => assert.deepEqual(brokenLinks(file), []));
    it(`${file}: every section reference names an existing numbered section`, () => assert.deepEqual(brokenSectionReferences(file), []));
  }
});
