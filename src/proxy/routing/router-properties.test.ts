import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Route } from '../../entities/routes.js';
import type { Service } from '../../entities/services.js';
import { createRouter, isPathRefused, type PathRefused, type RouteMatch, type Router, type UpdatableRouter } from '../router.js';
import { createReferenceRouter } from '../testing/reference-router.js';
import { randomRequest, randomRouteSet } from '../testing/random-routes.js';
import { seededRandom, type SeededRandom } from '../testing/seeded-random.js';

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

/** One random change to `routes`/`services` (in place), as the router update that applies it. */
function randomChange(random: SeededRandom, routes: Map<string, Route>, services: Map<string, Service>, serial: { next: number }) {
  const ids = [...routes.keys()];
  const kind = ids.length === 0 ? 'create' : random.pick(['create', 'create', 'update', 'delete', 'service'] as const);
  const draw = () => randomRouteSet(random, 1).routes[0]!;
  if (kind === 'create' || kind === 'update') {
    const id = kind === 'create' ? `new-${serial.next++}` : random.pick(ids);
    // An update keeps the id and usually the age; a new route may be as old as another (the id then decides).
    const route: Route = { ...draw(), id, created_at: kind === 'update' && random.chance(0.7) ? routes.get(id)!.created_at : 1_700_000_000 + random.int(40) };
    routes.set(id, route);
    return { kind, removed: [], changed: [route] };
  }
  if (kind === 'delete') {
    const id = random.pick(ids);
    routes.delete(id);
    return { kind, removed: [id], changed: [] };
  }
  // A service change (enabled toggled, path changed) re-files every route that names it.
  const before = random.pick([...services.values()]);
  const after: Service = { ...before, enabled: random.chance(0.3) ? !before.enabled : before.enabled, path: random.pick([null, '/', '/other', '/base/']) };
  services.set(after.id, after);
  const changed = [...routes.values()].filter((r) => r.service?.id === after.id);
  return { kind, removed: [], changed };
}

function assertSameAnswers(random: SeededRandom, actual: Router, expected: Router, requests: number, what: string) {
  for (let i = 0; i < requests; i++) {
    const { method, host, path, headers } = randomRequest(random);
    assert.deepEqual(
      observed(actual.match(method, host, path, headers)),
      observed(expected.match(method, host, path, headers)),
      `${what}, request ${i}: ${method} ${host ?? '(no host)'} ${path} ${JSON.stringify(headers)}`,
    );
  }
}

describe('UpdatableRouter.update against a fresh build (seeded random create/update/delete/service sequences)', () => {
  for (const [initial, steps, seeds] of [
    [0, 60, SEEDS.slice(0, 6)],
    [20, 60, SEEDS.slice(6, 14)],
    [150, 40, SEEDS.slice(14)],
  ] as const) {
    it(`answers like createRouter and the reference after every change, from ${initial} routes, ${steps} changes per seed`, () => {
      const kinds = new Map<string, number>();
      for (const seed of seeds) {
        const random = seededRandom(seed);
        const start = randomRouteSet(random, initial);
        const routes = new Map(start.routes.map((r) => [r.id, r] as const));
        const services = new Map(start.services);
        let router: UpdatableRouter = createRouter([...routes.values()], services);
        const serial = { next: 0 };
        for (let step = 0; step < steps; step++) {
          const previous = router;
          const probe = seededRandom(seed + step);
          const before = Array.from({ length: 50 }, () => randomRequest(probe)).map((r) => observed(previous.match(r.method, r.host, r.path, r.headers)));
          const change = randomChange(random, routes, services, serial);
          kinds.set(change.kind, (kinds.get(change.kind) ?? 0) + 1);
          const withServices = change.changed.map((route) => ({ route, service: route.service ? (services.get(route.service.id) ?? null) : null }));
          router = previous.update({ removed: change.removed, changed: withServices })!;
          assert.ok(router, `seed ${seed}, step ${step}: the latest router updates`);
          const what = `seed ${seed}, step ${step} (${change.kind})`;
          assertSameAnswers(seededRandom(seed * 31 + step), router, createRouter([...routes.values()], services), 300, `${what} vs a fresh build`);
          assertSameAnswers(seededRandom(seed * 37 + step), router, createReferenceRouter([...routes.values()], services), 300, `${what} vs the reference`);
          // The router a request in flight holds keeps every answer it gave, and cannot branch.
          const replay = seededRandom(seed + step);
          const after = before.map(() => randomRequest(replay)).map((r) => observed(previous.match(r.method, r.host, r.path, r.headers)));
          assert.deepEqual(after, before, `${what}: the previous router changed its answers`);
          assert.equal(previous.update({ removed: [], changed: [] }), null, `${what}: an older router does not update`);
        }
      }
      for (const kind of ['create', 'update', 'delete', 'service']) assert.ok((kinds.get(kind) ?? 0) > 10, `${kind}: ${kinds.get(kind)}`);
    });
  }

  it('gives no further router once an update failed half-way (a full build follows)', () => {
    const { routes, services } = randomRouteSet(seededRandom(5), 10);
    const router = createRouter(routes, services);
    // Not a route the store gives (no paths array): the update throws, whatever it filed before stays unpublished.
    const broken = { ...routes[0]!, id: 'broken', paths: null } as unknown as Route;
    assert.throws(() => router.update({ removed: [], changed: [{ route: broken, service: null }] }));
    assert.equal(router.update({ removed: [], changed: [] }), null);
  });
});
