/**
 * The path-confinement variants shared by the router's unit table (`router.test.ts`) and the
 * raw-socket table through a real listener (`proxy-confinement.test.ts`): one set of routes over
 * services with and without a path, and the request targets with what must become of each, the
 * path the upstream receives, 'no route' (404) or 'refused' (400 `PC_PROXY_PATH_REFUSED`).
 */
import type { Route } from '../../entities/routes.js';
import type { Service } from '../../entities/services.js';
import type { EntityFactory } from './entities.js';

/** The services and routes the cases are written for; `port` is the upstream's. */
export function confinementConfig(make: EntityFactory, port = 80): { services: Service[]; routes: Route[] } {
  const s = make.service({ name: 's', path: '/s', port });
  const slash = make.service({ name: 'slash', path: '/t/', port });
  const bare = make.service({ name: 'bare', path: null, port });
  const root = make.service({ name: 'root', path: '/', port });
  const priv = make.service({ name: 'private', path: '/p', port });
  const to = (svc: Service) => ({ service: { id: svc.id } });
  return {
    routes: [
      make.route({ paths: ['/files'], ...to(s) }),
      make.route({ paths: ['/dir/'], ...to(s) }),
      make.route({ paths: ['/keep'], strip_path: false, ...to(s) }),
      make.route({ paths: ['/slash'], ...to(slash) }),
      make.route({ paths: ['/bare'], ...to(bare) }),
      make.route({ paths: ['/root'], ...to(root) }),
      make.route({ paths: ['~/rx'], ...to(s) }),
      make.route({ paths: ['~/rk'], strip_path: false, ...to(s) }),
      make.route({ paths: ['~/rb'], ...to(bare) }),
      make.route({ paths: ['~/rs'], ...to(slash) }),
      make.route({ paths: ['/private'], ...to(priv) }),
    ],
    services: [s, slash, bare, root, priv],
  };
}

/** Request target as sent → the upstream path, 'no route' or 'refused'. */
export const CONFINEMENT_CASES: readonly (readonly [string, string])[] = [
  // Plain prefix without a trailing slash: only the segment itself and below.
  ['/files', '/s'],
  ['/files/', '/s'],
  ['/files/a', '/s/a'],
  ['/files/a%2Fb', '/s/a%2Fb'],
  // Twice-encoded: forwarded as sent unless an upstream decoding twice would find a dot segment.
  ['/files/a%252Fb', '/s/a%252Fb'],
  ['/files/%252e%252e/private', 'refused'],
  ['/files/..%252fprivate', 'refused'],
  ['/files/a%5Cb', '/s/a%5Cb'],
  ['/files/x/..', '/s'],
  ['/files..', 'no route'],
  ['/files.', 'no route'],
  ['/files-v2', 'no route'],
  ['/files%2e%2e', 'no route'],
  ['/files.%2e', 'no route'],
  ['/files%2E%2E/private', 'no route'],
  ['/files..%2fprivate', 'no route'],
  ['/files/../private/x', '/p/x'],
  ['/files/%2e%2e/private/x', '/p/x'],
  ['/files/..%2fprivate', 'refused'],
  ['/files/..%2Fprivate', 'refused'],
  ['/files/%2e%2e%2fprivate', 'refused'],
  ['/files/%2e%2e%5cprivate', 'refused'],
  ['/files/..%5Cprivate', 'refused'],
  ['/files/..;/private', 'refused'],
  ['/files/%c0%ae%c0%ae/private', 'refused'],
  ['/files/%C0%AE%C0%AE/private', 'refused'],
  ['/files/%e0%80%ae%e0%80%ae/private', 'refused'],
  ['/files\\..\\private', 'refused'],
  ['/files/%00', 'refused'],
  // A prefix ending in '/'.
  ['/dir/x', '/s/x'],
  ['/dir/', '/s'],
  ['/dir', 'no route'],
  ['/dir..', 'no route'],
  // strip_path off: the whole normalised path is joined.
  ['/keep/a', '/s/keep/a'],
  ['/keep', '/s/keep'],
  ['/keep/..%2f..%2fx', 'refused'],
  // Service paths with a trailing slash, none, or '/'.
  ['/slash', '/t/'],
  ['/slash/x', '/t/x'],
  ['/bare/x', '/x'],
  ['/bare', '/'],
  ['/root/x', '/x'],
  // Regex paths may end mid-segment: the rest is joined below the service path, never as a dot segment.
  ['/rx', '/s'],
  ['/rx-v2', '/s/-v2'],
  ['/rx/a', '/s/a'],
  ['/rx.', 'refused'],
  ['/rx..', 'refused'],
  ['/rx../private', 'refused'],
  ['/rx%2e%2e', 'refused'],
  ['/rx.%2e/private', 'refused'],
  ['/rx..%2fprivate', 'refused'],
  ['/rx..%5Cprivate', 'refused'],
  ['/rx..;/private', 'refused'],
  ['/rx...', '/s/...'],
  ['/rk..', '/s/rk..'],
  ['/rk../x', '/s/rk../x'],
  ['/rb..', 'refused'],
  ['/rb-v2', '/-v2'],
  ['/rs..', 'refused'],
  ['/rs.x', '/t/.x'],
];
