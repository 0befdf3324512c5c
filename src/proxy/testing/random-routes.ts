/**
 * Random route sets and requests for the router's property tests (and the mixed benchmark), drawn
 * from small pools so that routes collide on purpose: hosts exact and wildcard, with and without
 * ports; prefixes sharing stems (`/api`, `/api/`, `/apix`, `/api/v1`); regexes with priorities;
 * methods, headers, `strip_path`, services with paths, disabled services, equal creation times.
 * Requests are drawn from the same pools, so they hit and miss. Everything follows the seed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from '../../entities/routes.js';
import type { Service } from '../../entities/services.js';
import { createEntityFactory } from './entities.js';
import type { SeededRandom } from './seeded-random.js';

const EXACT_HOSTS = ['a.test', 'b.test', 'a.test:8080', 'b.test:8443', '[::1]', '[::1]:8443', 'x.a.test', 'A.Test'];
const WILDCARD_HOSTS = ['*.a.test', '*.test', '*.x.a.test', 'a.*', 'a.test.*', '*.a.test:8080', 'b.*:8443', '*.test:9090'];
const SEGMENTS = ['api', 'apix', 'v1', 'v2', 'users', 'files', 'items', '42', 'x', ''];
const REGEXES = ['~/api/v\\d+', '~/files', '~/items/\\d+$', '~/api', '~/(users|items)/', '~/x?', '~/files/(?=x)', '~/apix?/v', '~/a|/files/4', '~/ap+i/'];
const METHODS = ['GET', 'POST', 'DELETE', 'PUT'];
const ROUTE_HEADERS: Record<string, string[]>[] = [{ 'x-v': ['1'] }, { 'x-v': ['1', '2'], 'x-t': ['a'] }, { 'X-T': ['A'] }];
const REQUEST_HOSTS = [...EXACT_HOSTS, 'a.test:9090', 'y.a.test', 'y.x.a.test', 'a.com', 'a.test.com', 'b.org:8443', 'test', '.test', 'x.test:9090'];
const REQUEST_HEADERS: IncomingHttpHeaders[] = [{}, { 'x-v': '1' }, { 'x-v': '2, 1' }, { 'x-t': 'A', 'x-v': '3' }, { 'x-t': 'a', 'x-v': '2' }];
const TAILS = ['', '/', '..', '/..', '/../x', '/./y', '.json', '/%2e%2e/z'];

/** A random path of up to `depth` segments from the pool, then maybe an odd tail (dot segments, '//'). */
export function randomPath(random: SeededRandom, depth = 4): string {
  let path = '';
  for (let i = 1 + random.int(depth); i > 0; i--) path += '/' + random.pick(SEGMENTS);
  return random.chance(0.3) ? path + random.pick(TAILS) : path;
}

/** `count` routes and their services, from the seed. */
export function randomRouteSet(random: SeededRandom, count: number): { routes: Route[]; services: Map<string, Service> } {
  const make = createEntityFactory();
  const services = Array.from({ length: 4 }, (_, i) =>
    make.service({ id: `svc-${i}`, path: random.pick([null, '/', '/base', '/base/']), enabled: i !== 3 || random.chance(0.3) }),
  );
  const routes: Route[] = [];
  for (let i = 0; i < count; i++) {
    const hosts = random.chance(0.4) ? [] : Array.from({ length: 1 + random.int(2) }, () => random.pick(random.chance(0.5) ? EXACT_HOSTS : WILDCARD_HOSTS));
    const paths = random.chance(0.15)
      ? []
      : Array.from({ length: 1 + random.int(2) }, () => (random.chance(0.2) ? random.pick(REGEXES) : randomPrefix(random)));
    routes.push(
      make.route({
        id: `route-${String(i).padStart(5, '0')}`,
        created_at: 1_700_000_000 + random.int(count), // equal times happen: then the id decides
        name: `r${i}`,
        hosts,
        paths,
        methods: random.chance(0.3) ? Array.from({ length: 1 + random.int(2) }, () => random.pick(METHODS)) : [],
        headers: random.chance(0.25) ? random.pick(ROUTE_HEADERS) : {},
        strip_path: random.chance(0.5),
        regex_priority: random.int(3),
        service: random.chance(0.9) ? { id: random.pick(services).id } : null,
      }),
    );
  }
  return { routes, services: new Map(services.map((s) => [s.id, s])) };
}

/** A request (method, host, path, headers) drawn to hit the pools' routes, or miss them. */
export function randomRequest(random: SeededRandom): { method: string; host: string | undefined; path: string; headers: IncomingHttpHeaders } {
  return {
    method: random.pick(METHODS),
    host: random.chance(0.1) ? undefined : random.pick(REQUEST_HOSTS),
    path: randomPath(random),
    headers: random.pick(REQUEST_HEADERS),
  };
}

function randomPrefix(random: SeededRandom): string {
  const path = randomPath(random, 3).replace(/[.%]+/g, '');
  return path === '' ? '/' : path;
}
