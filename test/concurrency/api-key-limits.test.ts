/**
 * Issue 6, class 13: limits and uniqueness rules hold under concurrent writes from two nodes on
 * one database. Each round fires its requests at once, alternating the two nodes' Admin APIs over
 * real HTTP, then counts answers and rows. Violations are counted and printed, and must be zero.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DIALECTS } from '../support/databases.js';
import { admin, startTwoNodes, type TwoNodes } from './support/two-nodes.js';

const LIMIT = 5;
const CALLS = 30;

type Request = readonly [method: string, path: string, body: Record<string, unknown>];

const external = () => `ext-${randomBytes(16).toString('hex')}`;

/** How many of each `status code` (e.g. `201`, `409 PC_STORE_LIMIT_REACHED`). */
function tally(answers: readonly { status: number; body: any }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const key = a.status >= 400 ? `${a.status} ${a.body?.code}` : String(a.status);
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

for (const dialect of DIALECTS) {
  describe(`API key limits through two nodes on one ${dialect} database`, () => {
    let cluster: TwoNodes;
    const rounds = dialect === 'postgres' ? 5 : 3;

    before(async () => {
      cluster = await startTwoNodes(dialect, { max_per_consumer: LIMIT });
    });
    after(async () => {
      await cluster?.close();
    });

    /** Fires `requests` at once, alternating the two nodes. */
    const fire = (requests: readonly Request[]) => Promise.all(requests.map(([method, path, body], i) => admin(cluster.nodes[i % 2]!, method, path, body)));

    const activeRows = async (column: 'consumer_id' | 'service_id', id: string, name?: string) => {
      let q = cluster.db.selectFrom('api_keys').select('id').where(column, '=', id).where('status', '=', 'active');
      if (name) q = q.where('name', '=', name);
      return (await q.execute()).length;
    };

    const newConsumer = async (username: string): Promise<string> => {
      const created = await admin(cluster.nodes[0], 'POST', '/consumers', { username });
      assert.equal(created.status, 201);
      return created.body.id;
    };

    const limitVariants: { name: string; request: (i: number, consumer: string) => Request; created: number }[] = [
      { name: 'generate on the consumer path', request: (_i, c) => ['POST', `/consumers/${c}/api-keys`, {}], created: 201 },
      {
        name: 'generate on a service path naming the consumer, beside the consumer path',
        request: (i, c) => (i % 4 < 2 ? ['POST', '/services/echo/api-keys', { consumer: c }] : ['POST', `/consumers/${c}/api-keys`, {}]),
        created: 201,
      },
      { name: 'set (PUT) values under new names', request: (i, c) => ['PUT', `/consumers/${c}/api-keys/k${i}`, { api_key: external() }], created: 201 },
    ];

    it(`keeps max_per_consumer (${LIMIT}) under ${CALLS} concurrent creates for one consumer: ${LIMIT} created, the rest 409 PC_STORE_LIMIT_REACHED`, async () => {
      const violations: string[] = [];
      for (const variant of limitVariants) {
        for (let round = 0; round < rounds; round++) {
          const username = `limit-${limitVariants.indexOf(variant)}-${round}`;
          const consumerId = await newConsumer(username);
          const answers = await fire(Array.from({ length: CALLS }, (_, i) => variant.request(i, username)));
          const counts = tally(answers);
          const rows = await activeRows('consumer_id', consumerId);
          const expected = { [variant.created]: LIMIT, '409 PC_STORE_LIMIT_REACHED': CALLS - LIMIT };
          if (rows !== LIMIT || JSON.stringify(counts) !== JSON.stringify(expected)) {
            violations.push(`${variant.name}, round ${round}: ${rows} active keys, answers ${JSON.stringify(counts)}`);
          }
        }
      }
      console.log(`[${dialect}] limit: ${limitVariants.length * rounds} rounds of ${CALLS} calls, ${violations.length} violations`);
      assert.deepEqual(violations, []);
    });

    const nameVariants: {
      name: string;
      owner: (round: number) => Promise<{ path: string; column: 'consumer_id' | 'service_id'; id: string }>;
      method: 'POST' | 'PUT';
      expected: Record<string, number>;
    }[] = [
      {
        name: 'generate one name for a consumer',
        owner: async (r) => ({ path: `/consumers/dup-c-${r}`, column: 'consumer_id', id: await newConsumer(`dup-c-${r}`) }),
        method: 'POST',
        expected: { 201: 1, '409 PC_STORE_UNIQUE_VIOLATION': 9 },
      },
      {
        name: 'generate one name for a service',
        owner: async (r) => {
          const created = await admin(cluster.nodes[0], 'POST', '/services', { name: `dup-s-${r}`, url: 'http://127.0.0.1:9' });
          return { path: `/services/dup-s-${r}`, column: 'service_id', id: created.body.id };
        },
        method: 'POST',
        expected: { 201: 1, '409 PC_STORE_UNIQUE_VIOLATION': 9 },
      },
      {
        // PUT creates when absent and replaces otherwise: as if one after the other, one creates.
        name: 'set (PUT) one name for a consumer',
        owner: async (r) => ({ path: `/consumers/dup-p-${r}`, column: 'consumer_id', id: await newConsumer(`dup-p-${r}`) }),
        method: 'PUT',
        expected: { 200: 9, 201: 1 },
      },
    ];

    it('keeps names unique per owner among active keys under 10 concurrent creates of one name: one created, the rest as if they came after', async () => {
      const violations: string[] = [];
      for (const variant of nameVariants) {
        for (let round = 0; round < rounds; round++) {
          const owner = await variant.owner(round);
          const answers = await fire(
            Array.from({ length: 10 }, (): Request =>
              variant.method === 'POST'
                ? ['POST', `${owner.path}/api-keys`, { name: 'same' }]
                : ['PUT', `${owner.path}/api-keys/same`, { api_key: external() }],
            ),
          );
          const counts = tally(answers);
          const rows = await activeRows(owner.column, owner.id, 'same');
          if (rows !== 1 || JSON.stringify(counts) !== JSON.stringify(variant.expected)) {
            violations.push(`${variant.name}, round ${round}: ${rows} active keys named "same", answers ${JSON.stringify(counts)}`);
          }
        }
      }
      console.log(`[${dialect}] names: ${nameVariants.length * rounds} rounds of 10 calls, ${violations.length} violations`);
      assert.deepEqual(violations, []);
    });
  });
}
