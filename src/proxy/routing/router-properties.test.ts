import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRouter, isPathRefused, type PathRefused, type RouteMatch } from '../router.js';
import { createReferenceRouter } from '../testing/reference-router.js';
import { randomRequest, randomRouteSet } from '../testing/random-routes.js';
import { seededRandom } from '../testing/seeded-random.js';

/** What a caller can observe of an answer: compared field by field. */
function observed(found: RouteMatch | PathRefused | null) {
  if (found === null) return 'no route';
  if (isPathRefused(found)) return 'PATH_REFUSED';
  return { route: found.route.id, service: found.service?.id ?? null, strippedPath: found.strippedPath, upstreamPath: found.upstreamPath };
}

/** Runs `requests` random requests against both routers over one random route set; returns how the answers split. */
function compareOnSeed(seed: number, routeCount: number, requests: number) {
  const random = seededRandom(seed);
  const { routes, services } = randomRouteSet(random, routeCount);
  const router = createRouter(routes, services);
  const reference = createReferenceRouter(routes, services);
  const tally = { matched: 0, refused: 0, none: 0 };
  for (let i = 0; i < requests; i++) {
    const { method, host, path, headers } = randomRequest(random);
    const expected = observed(reference.match(method, host, path, headers));
    const actual = observed(router.match(method, host, path, headers));
    assert.deepEqual(
      actual,
      expected,
      `seed ${seed} (${routeCount} routes), request ${i}: ${method} ${host ?? '(no host)'} ${path} ${JSON.stringify(headers)}`,
    );
    if (expected === 'no route') tally.none++;
    else if (expected === 'PATH_REFUSED') tally.refused++;
    else tally.matched++;
  }
  return tally;
}

// A fixed list so CI replays the same cases; PORTCULLIS_ROUTER_SEED adds one (e.g. a seed from a failure elsewhere).
const SEEDS = Array.from({ length: 24 }, (_, i) => 1000 + i * 7919);
const extraSeed = Number(process.env['PORTCULLIS_ROUTER_SEED']);
if (Number.isInteger(extraSeed)) SEEDS.push(extraSeed);

describe('createRouter against the linear reference router (seeded random route sets)', () => {
  for (const [routeCount, seeds] of [
    [3, SEEDS.slice(0, 8)],
    [25, SEEDS.slice(8, 16)],
    [200, SEEDS.slice(16)],
  ] as const) {
    it(`answers every request like the reference (same route, paths, PATH_REFUSED) with ${routeCount} routes per set`, () => {
      const total = { matched: 0, refused: 0, none: 0 };
      for (const seed of seeds) {
        const tally = compareOnSeed(seed, routeCount, 3000);
        total.matched += tally.matched;
        total.refused += tally.refused;
        total.none += tally.none;
      }
      // The draws must exercise every outcome, or the comparison proves little (with 200 routes, a
      // path-less host-less route or `/` is always there: every request matches something).
      assert.ok(total.matched > 500, `matched ${total.matched}`);
      assert.ok(total.refused > 100, `refused ${total.refused}`);
      if (routeCount < 100) assert.ok(total.none > 1000, `none ${total.none}`);
    });
  }
});
