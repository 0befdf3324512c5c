/**
 * Extracts the shell examples of a Markdown file (```sh, ```bash and ```console blocks that call
 * `curl`) and turns them into one bash script, for the test that runs every documented example
 * against a real node (test/e2e/docs-examples.e2e.test.ts; the convention is in docs/README.md).
 *
 * Two forms of block:
 * - a script (no line starts with `$ `): run as written; every curl must succeed.
 * - a transcript (`$ command` lines followed by the output a reader sees): each command runs in a
 *   subshell and what its shown output promises is checked — an `HTTP/1.1 NNN` status line, every
 *   `"code":"PC_…"` error code, and an output of bare numbers (`-w '%{http_code}'`) exactly. A
 *   command whose shown output is a 4xx/5xx status or an error code may fail; any other must not.
 */

export interface DocBlock {
  /** Line of the opening fence (1-based). */
  readonly line: number;
  readonly lang: string;
  readonly text: string;
  /** Set when the line before the fence is `<!-- docs-test: skip (reason) -->`; '' when the reason is missing. */
  readonly skip: string | undefined;
}

const FENCE = /^```(sh|bash|console)\n([\s\S]*?)^```/gm;
const SKIP = /^<!--\s*docs-test:\s*skip\b\s*(?:\(([^)]*)\))?\s*-->\s*$/;

/** The shell blocks of `markdown` that contain `curl`, in document order. */
export function curlBlocks(markdown: string): DocBlock[] {
  const out: DocBlock[] = [];
  for (const m of markdown.matchAll(FENCE)) {
    const text = m[2]!;
    if (!/\bcurl\b/.test(text)) continue;
    const before = markdown.slice(0, m.index);
    const previous = before.replace(/\n$/, '').split('\n').at(-1) ?? '';
    const skip = SKIP.exec(previous.trim());
    out.push({ line: before.split('\n').length, lang: m[1]!, text, skip: skip ? (skip[1] ?? '').trim() : undefined });
  }
  return out;
}

interface Step {
  readonly command: string;
  readonly output: string[];
}

/** Splits a transcript into `$ ` commands (with `\` continuation lines) and their shown output. */
function transcriptSteps(text: string): Step[] {
  const steps: { command: string; output: string[] }[] = [];
  let continuing = false;
  for (const line of text.replace(/\n$/, '').split('\n')) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), output: [] });
    else if (continuing) steps.at(-1)!.command += `\n${line}`;
    else if (steps.length > 0) steps.at(-1)!.output.push(line);
    continuing = steps.length > 0 && line.endsWith('\\') && steps.at(-1)!.output.length === 0;
  }
  return steps;
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Bash that runs one transcript step and checks what its shown output promises. */
function stepScript(step: Step, where: string): string {
  const shown = step.output.join('\n');
  const status = /^HTTP\/[\d.]+ (\d{3})/m.exec(shown)?.[1];
  const codes = [...shown.matchAll(/"code":"(PC_[A-Z0-9_]+)"/g)].map((m) => m[1]!);
  const numbers = /^[\d ]+$/.test(shown.trim()) ? shown.trim() : undefined;
  const mayFail = codes.length > 0 || (status !== undefined && Number(status) >= 400) || (numbers !== undefined && /\b[45]\d\d\b/.test(numbers));
  const checks = [
    ...(status ? [`__expect_in ${quote(where)} "$__out" ${quote(`HTTP/1.1 ${status}`)}`] : []),
    ...codes.map((c) => `__expect_in ${quote(where)} "$__out" ${quote(`"code":"${c}"`)}`),
    ...(numbers ? [`__expect_eq ${quote(where)} "$(echo $__out)" ${quote(numbers)}`] : []),
    ...(mayFail ? [] : [`__expect_ok ${quote(where)} "$__rc" "$__out"`]),
  ];
  // In a transcript curl reports no error of its own (-s without -S): the output is what the page shows.
  return [`__out=$( __transcript=1; { ${step.command}\n} 2>&1 ) && __rc=0 || __rc=$?`, ...checks].join('\n');
}

/** Functions every generated script starts with: the curl wrapper and the transcript checks. */
export const PRELUDE = String.raw`
__transcript=
curl() { if [ -n "$__transcript" ]; then command curl -s --fail-with-body "$@"; else command curl -sS --fail-with-body "$@"; fi; }
export -f curl
__fail() { echo "docs-test: $1: $2" >&2; exit 1; }
__expect_in() { case "$2" in *"$3"*) ;; *) __fail "$1" "expected the output to contain $3, got: $2" ;; esac; }
__expect_eq() { [ "$2" = "$3" ] || __fail "$1" "expected the output $3, got: $2"; }
__expect_ok() { [ "$2" = 0 ] || __fail "$1" "exit status $2: $3"; }
`;

/** The bash for one block: a marker line on stderr (to name a failing block), then its commands. */
export function blockScript(block: DocBlock, file: string): string {
  const where = `${file}:${block.line}`;
  const marker = `echo ${quote(`### ${where}`)} >&2`;
  if (!/^\$ /m.test(block.text)) return `${marker}\n${block.text}`;
  return [marker, ...transcriptSteps(block.text).map((s) => stepScript(s, where))].join('\n');
}
