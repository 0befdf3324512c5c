/**
 * Issue 6, class 14: every write to one key behaves as if the writes ran one after the other,
 * whatever ran beside it on another node. Each pair of writes is raced through the two nodes'
 * Admin APIs (which node runs which write alternates), many times; after each trial the answers,
 * the rows and both proxies are checked against what some serial order of the two writes allows.
 * A revoke that answered 204 holds: its key is refused on both proxies. Violations are counted,
 * printed per pair, and must be zero.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DIALECTS } from '../support/databases.js';
import { admin, holdsWithin, proxyStatus, startTwoNodes, type TwoNodes } from './support/two-nodes.js';

/** A key is refused (or accepted) on every node within this bound (DESIGN §1: 1 s). */
const PROPAGATION_MS = 1000;

type Answer = { status: number; body: any };

/** One trial's owner and its key `k` (value `k0`), made before the race. */
interface Trial {
  readonly owner: string;
  readonly k0: string;
  readonly value: string;
}

/** What the checks may ask, with the trial's facts. */
interface Probe {
  /** Rows of the trial's owner (`name` only; any status when `active` is false). */
  rows(name: string, active?: boolean): Promise<number>;
  refused(key: string): Promise<boolean>;
  works(key: string): Promise<boolean>;
}

interface Pair {
  readonly name: string;
  readonly owner: 'consumers' | 'services';
  readonly writes: readonly [(t: Trial) => [string, string, unknown?], (t: Trial) => [string, string, unknown?]];
  /** The answers each write may give in some serial order. */
  readonly allowed: readonly [readonly number[], readonly number[]];
  /** Problems with the state after both answered (empty when it is one a serial order gives). */
  check(t: Trial, answers: readonly [Answer, Answer], probe: Probe): Promise<string[]>;
}

const keyPath = (t: Trial, owner: string) => `/${owner}/${t.owner}/api-keys/k`;

const REVOKE = (owner: string) => (t: Trial) => ['DELETE', keyPath(t, owner)] as [string, string];
const REGENERATE =
  (owner: string, body: unknown = {}) =>
  (t: Trial) =>
    ['POST', `${keyPath(t, owner)}/regenerate`, body] as [string, string, unknown];
const DELETE_OWNER = (owner: string) => (t: Trial) => ['DELETE', `/${owner}/${t.owner}`] as [string, string];
const GENERATE = (owner: string) => (t: Trial) => ['POST', `/${owner}/${t.owner}/api-keys`, { name: 'k2' }] as [string, string, unknown];

/** Collects the failed expectations of one trial. */
async function expectAll(checks: readonly [string, boolean | Promise<boolean>][]): Promise<string[]> {
  const failed: string[] = [];
  for (const [what, holds] of checks) if (!(await holds)) failed.push(what);
  return failed;
}

const PAIRS: readonly Pair[] = [
  {
    name: 'revoke × regenerate',
    owner: 'consumers',
    writes: [REVOKE('consumers'), REGENERATE('consumers')],
    allowed: [[204], [200, 404]],
    check: async (t, [, regen], p) =>
      expectAll([
        ['no active key is left', (await p.rows('k')) === 0],
        ['the old value is refused', p.refused(t.k0)],
        ['the regenerated value is refused', regen.status !== 200 || p.refused(regen.body.api_key)],
      ]),
  },
  {
    name: 'revoke × set value (PUT)',
    owner: 'consumers',
    writes: [REVOKE('consumers'), (t) => ['PUT', keyPath(t, 'consumers'), { api_key: t.value }]],
    // 200: the value replaced the key's, then the revoke; 201: the revoke, then a new key.
    allowed: [[204], [200, 201]],
    check: async (t, [, set], p) =>
      expectAll([
        ['the old value is refused', p.refused(t.k0)],
        [`${set.status === 201 ? 'one' : 'no'} active key is left`, (await p.rows('k')) === (set.status === 201 ? 1 : 0)],
        [`the set value ${set.status === 201 ? 'works' : 'is refused'}`, set.status === 201 ? p.works(t.value) : p.refused(t.value)],
      ]),
  },
  {
    name: 'revoke × expiry change (PUT of the same value with expires_in)',
    owner: 'consumers',
    writes: [REVOKE('consumers'), (t) => ['PUT', keyPath(t, 'consumers'), { api_key: t.k0, expires_in: { unit: 'days', duration: 1 } }]],
    // 409: the revoke came first and a revoked key's value cannot be registered again.
    allowed: [[204], [200, 409]],
    check: async (t, _answers, p) =>
      expectAll([
        ['no active key is left', (await p.rows('k')) === 0],
        ['the value is refused', p.refused(t.k0)],
      ]),
  },
  {
    name: 'regenerate × regenerate (grace period)',
    owner: 'consumers',
    writes: [REGENERATE('consumers', { grace_period: 600 }), REGENERATE('consumers', { grace_period: 600 })],
    allowed: [[200], [200]],
    // One after the other: the second keeps the first's value for the grace period, not k0.
    check: async (t, [a, b], p) =>
      expectAll([
        ['one active key is left', (await p.rows('k')) === 1],
        ['the original value is refused', p.refused(t.k0)],
        ['the first value works', a.status !== 200 || p.works(a.body.api_key)],
        ['the second value works', b.status !== 200 || p.works(b.body.api_key)],
      ]),
  },
  {
    name: 'revoke × consumer deletion',
    owner: 'consumers',
    writes: [REVOKE('consumers'), DELETE_OWNER('consumers')],
    // 404: the deletion came first, and a revoke for an owner that does not exist is 404.
    allowed: [[204, 404], [204]],
    check: async (t, _answers, p) =>
      expectAll([
        ['no key row is left', (await p.rows('k', false)) === 0],
        ['the value is refused', p.refused(t.k0)],
      ]),
  },
  {
    name: 'regenerate × consumer deletion',
    owner: 'consumers',
    writes: [REGENERATE('consumers'), DELETE_OWNER('consumers')],
    allowed: [[200, 404], [204]],
    check: async (t, [regen], p) =>
      expectAll([
        ['no key row is left', (await p.rows('k', false)) === 0],
        ['the old value is refused', p.refused(t.k0)],
        ['the regenerated value is refused', regen.status !== 200 || p.refused(regen.body.api_key)],
      ]),
  },
  {
    name: 'set value (PUT) × consumer deletion',
    owner: 'consumers',
    writes: [(t) => ['PUT', keyPath(t, 'consumers'), { api_key: t.value }], DELETE_OWNER('consumers')],
    allowed: [[200, 404], [204]],
    check: async (t, _answers, p) =>
      expectAll([
        ['no key row is left', (await p.rows('k', false)) === 0],
        ['the old value is refused', p.refused(t.k0)],
        ['the set value is refused', p.refused(t.value)],
      ]),
  },
  {
    name: 'generate × consumer deletion',
    owner: 'consumers',
    writes: [GENERATE('consumers'), DELETE_OWNER('consumers')],
    allowed: [[201, 404], [204]],
    check: async (_t, [generated], p) =>
      expectAll([
        ['no key row is left', (await p.rows('k2', false)) === 0],
        ['the generated value is refused', generated.status !== 201 || p.refused(generated.body.api_key)],
      ]),
  },
  {
    name: 'revoke × service deletion',
    owner: 'services',
    writes: [REVOKE('services'), DELETE_OWNER('services')],
    // 404: the deletion came first, and a revoke for an owner that does not exist is 404.
    allowed: [[204, 404], [204]],
    check: async (_t, _answers, p) => expectAll([['no key row is left', (await p.rows('k', false)) === 0]]),
  },
  {
    name: 'generate × service deletion',
    owner: 'services',
    writes: [GENERATE('services'), DELETE_OWNER('services')],
    allowed: [[201, 404], [204]],
    check: async (_t, _answers, p) => expectAll([['no key row is left', (await p.rows('k2', false)) === 0]]),
  },
];

for (const dialect of DIALECTS) {
  describe(`concurrent writes to one API key through two nodes on one ${dialect} database`, () => {
    let cluster: TwoNodes;
    const trials = dialect === 'postgres' ? 40 : 12;

    before(async () => {
      cluster = await startTwoNodes(dialect, { max_per_consumer: 0 });
    });
    after(async () => {
      await cluster?.close();
    });

    const onBothProxies = (key: string, status: number) =>
      holdsWithin(PROPAGATION_MS, async () => (await Promise.all(cluster.nodes.map((n) => proxyStatus(n, key)))).every((s) => s === status));

    /** Makes the trial's owner and its key `k` through node A, and has both proxies cache it. */
    const setUp = async (pair: Pair, owner: string): Promise<Trial> => {
      const [a] = cluster.nodes;
      const body = pair.owner === 'consumers' ? { username: owner } : { name: owner, url: 'http://127.0.0.1:9' };
      assert.equal((await admin(a, 'POST', `/${pair.owner}`, body)).status, 201);
      const key = await admin(a, 'POST', `/${pair.owner}/${owner}/api-keys`, { name: 'k' });
      assert.equal(key.status, 201);
      const trial = { owner, k0: key.body.api_key as string, value: `ext-${randomBytes(16).toString('hex')}` };
      // Keys of a service without routes are out of scope everywhere: only consumer keys get here.
      if (pair.owner === 'consumers') assert.ok(await onBothProxies(trial.k0, 200), 'the key works on both proxies before the race');
      return trial;
    };

    const probe = (pair: Pair, t: Trial): Probe => ({
      async rows(name, active = true) {
        const column = pair.owner === 'consumers' ? 'consumer_id' : 'service_id';
        const ownerRow = await cluster.db
          .selectFrom(pair.owner)
          .select('id')
          .where(pair.owner === 'consumers' ? 'username' : 'name', '=', t.owner)
          .executeTakeFirst();
        if (!ownerRow) {
          // The owner is gone: its keys must be gone too (no row names a missing owner).
          const orphans = await cluster.db
            .selectFrom('api_keys')
            .select('id')
            .where(column, 'is not', null)
            .where(({ not, exists, selectFrom }) => not(exists(selectFrom(pair.owner).select('id').whereRef(`${pair.owner}.id`, '=', `api_keys.${column}`))))
            .execute();
          return orphans.length;
        }
        let q = cluster.db.selectFrom('api_keys').select('id').where(column, '=', ownerRow.id).where('name', '=', name);
        if (active) q = q.where('status', '=', 'active');
        return (await q.execute()).length;
      },
      refused: (key) => onBothProxies(key, 401),
      works: (key) => onBothProxies(key, 200),
    });

    for (const [index, pair] of PAIRS.entries()) {
      it(`${pair.name}: ${trials} races end as some serial order would, a successful revoke holding on both proxies`, async () => {
        const started = Date.now();
        const outcomes: Record<string, number> = {};
        const violations: string[] = [];
        for (let i = 0; i < trials; i++) {
          const t = await setUp(pair, `p${index}-${i}`);
          const order = i % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const);
          const answers = (await Promise.all(
            pair.writes.map((write, w) => {
              const [method, path, body] = write(t);
              return admin(cluster.nodes[order[w]!]!, method, path, body);
            }),
          )) as [Answer, Answer];
          const outcome = answers.map((a) => a.status).join('/');
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
          await cluster.settle();
          const problems = answers
            .map((a, w) => (pair.allowed[w]!.includes(a.status) ? null : `write ${w + 1} answered ${a.status} ${a.body?.code ?? ''}`))
            .filter((p): p is string => p !== null);
          problems.push(...(await pair.check(t, answers, probe(pair, t))));
          if (problems.length > 0) violations.push(`trial ${i} (${outcome}): ${problems.join('; ')}`);
        }
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        console.log(`[${dialect}] ${pair.name}: ${trials} trials, ${violations.length} violations, answers ${JSON.stringify(outcomes)} (${seconds} s)`);
        assert.deepEqual(violations.slice(0, 10), []);
      });
    }
  });
}
