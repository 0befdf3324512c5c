/**
 * The OpenAPI document a node serves lints clean with Redocly's `recommended` rules and Spectral's
 * `spectral:oas` ruleset (no error, no warning, no hint), and has what the issue asks beyond the
 * rules: an operationId, summary, description and tag per operation, described tags, an example
 * for every request body and response, 405 and error responses with the shared `Error` schema, and
 * enumerations as `enum`. The lint itself is checked too: each kind of flaw planted in the served
 * document is reported, so a clean result means something.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode } from '../../test/support/running-node.js';
import { lintOpenApi, type LintProblem } from '../../scripts/lint-openapi.js';

type Json = Record<string, any>;

const show = (problems: readonly LintProblem[]) => problems.map((p) => `${p.linter} ${p.severity} ${p.rule} ${p.where}: ${p.message}`).join('\n');

/** Every operation of the document with its method and path. */
function operations(doc: Json): { where: string; op: Json }[] {
  return Object.entries(doc['paths'] as Json).flatMap(([path, ops]) => Object.entries(ops as Json).map(([method, op]) => ({ where: `${method} ${path}`, op })));
}

/**
 * Flaws planted together in one copy of the served document (a lint takes seconds), each on its
 * own operation or field, and the rule each linter reports it under (Redocly's recommended set has
 * no rule for undefined tags).
 */
const FLAWS: readonly { name: string; plant(doc: Json): void; redocly?: string; spectral: string }[] = [
  { name: 'no servers', plant: (d) => delete d['servers'], redocly: 'no-empty-servers', spectral: 'oas3-api-servers' },
  {
    name: 'an undefined tag',
    plant: (d) => (d['paths']['/consumers']['get'].tags = ['nowhere']),
    spectral: 'operation-tag-defined',
  },
  {
    name: 'an example that does not match its schema',
    plant: (d) => (d['paths']['/services']['post'].requestBody.content['application/json'].example = { name: 42 }),
    redocly: 'no-invalid-media-type-examples',
    spectral: 'oas3-valid-media-example',
  },
  {
    name: 'an unused component',
    plant: (d) => (d['components']['schemas']['Orphan'] = { type: 'string' }),
    redocly: 'no-unused-components',
    spectral: 'oas3-unused-component',
  },
  {
    name: 'a duplicate operationId',
    plant: (d) => (d['paths']['/routes']['get'].operationId = d['paths']['/services']['get'].operationId),
    redocly: 'operation-operationId-unique',
    spectral: 'operation-operationId-unique',
  },
  { name: 'no license, no contact', plant: (d) => (delete d['info'].license, delete d['info'].contact), redocly: 'info-license', spectral: 'info-contact' },
];

describe('Admin API OpenAPI lint', () => {
  let node: Awaited<ReturnType<typeof startTestNode>>;
  let doc: Json;

  before(async () => {
    node = await startTestNode('sqlite');
    const res = await node.call('GET', '/openapi.json');
    assert.equal(res.status, 200, res.text);
    doc = res.body;
  });
  after(async () => {
    await node.close();
  });

  it('has no problem for Redocly (recommended) or Spectral (spectral:oas), not even a hint', async () => {
    const problems = await lintOpenApi(doc);
    assert.equal(problems.length, 0, `the served document has lint problems:\n${show(problems)}`);
  });

  it('gives every operation an operationId, summary, description and a described tag', () => {
    const described = new Map((doc['tags'] as Json[]).map((t) => [t['name'], t['description']]));
    for (const { where, op } of operations(doc)) {
      for (const field of ['operationId', 'summary', 'description']) assert.ok(typeof op[field] === 'string' && op[field].length > 0, `${where}: ${field}`);
      assert.ok(op['tags']?.length > 0 && op['tags'].every((t: string) => described.get(t)), `${where}: a described tag`);
    }
    assert.ok(operations(doc).length > 100, 'every resource is in the document');
  });

  it('shows an example for every request body and response, and documents 405 and errors with the Error schema', () => {
    for (const { where, op } of operations(doc)) {
      for (const media of Object.values((op['requestBody']?.content ?? {}) as Json)) assert.ok('example' in media, `${where}: request example`);
      for (const [status, response] of Object.entries(op['responses'] as Json)) {
        for (const media of Object.values((response.content ?? {}) as Json)) assert.ok('example' in media, `${where} ${status}: response example`);
      }
      for (const status of ['405', 'default']) {
        const media = op['responses'][status]?.content?.['application/json'];
        assert.deepEqual(media?.schema, { $ref: '#/components/schemas/Error' }, `${where} ${status}`);
        assert.match(media.example.code, /^PC_[A-Z_]+$/);
      }
    }
    assert.equal(doc['paths']['/services']['get'].responses['405'].content['application/json'].example.code, 'PC_METHOD_NOT_ALLOWED');
  });

  it('writes enumerations as enum, never as a union of constants', () => {
    const unions: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (!node || typeof node !== 'object') return;
      const branches = (node as Json)['anyOf'];
      if (Array.isArray(branches) && branches.every((b: Json) => 'const' in b || b['type'] === 'null')) unions.push(at);
      for (const [key, value] of Object.entries(node)) walk(value, `${at}/${key}`);
    };
    walk(doc, '#');
    assert.deepEqual(unions, []);
    assert.deepEqual(doc['components']['schemas']['ApiKey'].properties.status, { type: 'string', enum: ['active', 'revoked', 'expired'] });
  });

  describe('reports each kind of flaw planted in the served document', () => {
    let rules: Set<string>;
    before(async () => {
      const copy = structuredClone(doc);
      for (const flaw of FLAWS) flaw.plant(copy);
      rules = new Set((await lintOpenApi(copy)).map((p) => `${p.linter} ${p.rule}`));
    });

    for (const flaw of FLAWS) {
      it(`${flaw.name}: ${flaw.redocly ? `Redocly ${flaw.redocly}, ` : ''}Spectral ${flaw.spectral}`, () => {
        if (flaw.redocly) assert.ok(rules.has(`redocly ${flaw.redocly}`), [...rules].join(', '));
        assert.ok(rules.has(`spectral ${flaw.spectral}`), [...rules].join(', '));
      });
    }
  });
});
