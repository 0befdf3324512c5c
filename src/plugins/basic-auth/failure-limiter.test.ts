import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createFailureLimiter, type FailureLimiter, type FailureLimiterConfig, type Reservation, type SharedOutcome } from './failure-limiter.js';

const CONFIG: FailureLimiterConfig = {
  failure_window: 900,
  lockout_base: 1,
  pair_max_failures: 5,
  pair_lockout_cap: 900,
  address_max_failures: 30,
  address_lockout_cap: 900,
  username_max_failures: 100,
  username_lockout_cap: 30,
  max_tracked: 1000,
};

function setup(config: Partial<FailureLimiterConfig> = {}) {
  const clock = { now: 1_700_000_000_000 };
  const limiter = createFailureLimiter({ now: () => clock.now }, { ...CONFIG, ...config });
  const fail = (user: string, address: string, times = 1) => {
    for (let i = 0; i < times; i += 1) limiter.failed(user, address);
  };
  return { clock, limiter, fail };
}

/** Seconds until the lockout of (user, address) ends, 0 when the attempt is allowed. */
const wait = (limiter: FailureLimiter, user: string, address: string) => limiter.check(user, address)?.retryAfterSeconds ?? 0;

describe('failure limiter', () => {
  describe('per (username, address) pair', () => {
    it('allows four failures, then locks the pair for one second after the fifth', () => {
      const { limiter, fail } = setup();
      fail('carol', '192.0.2.1', 4);
      assert.equal(limiter.check('carol', '192.0.2.1'), null);
      fail('carol', '192.0.2.1');
      assert.deepEqual(limiter.check('carol', '192.0.2.1'), { scope: 'pair', retryAfterSeconds: 1 });
    });

    it('doubles the lockout with each further failure', () => {
      const { clock, limiter, fail } = setup();
      fail('carol', '192.0.2.1', 5);
      const seen: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        const seconds = wait(limiter, 'carol', '192.0.2.1');
        seen.push(seconds);
        clock.now += seconds * 1000;
        assert.equal(limiter.check('carol', '192.0.2.1'), null, 'allowed again once the lockout ends');
        fail('carol', '192.0.2.1');
      }
      assert.deepEqual(seen, [1, 2, 4, 8, 16, 32]);
    });

    it('never locks longer than pair_lockout_cap', () => {
      const { limiter, fail } = setup({ pair_lockout_cap: 60 });
      fail('carol', '192.0.2.1', 25); // 2^20 s uncapped; under the address limit of 30
      assert.deepEqual(limiter.check('carol', '192.0.2.1'), { scope: 'pair', retryAfterSeconds: 60 });
    });

    it('refuses the pair while locked, whatever the attempt (the caller checks before the password)', () => {
      const { clock, limiter, fail } = setup();
      fail('carol', '192.0.2.1', 7);
      assert.equal(limiter.check('carol', '192.0.2.1')?.retryAfterSeconds, 4);
      clock.now += 3_999;
      assert.equal(limiter.check('carol', '192.0.2.1')?.retryAfterSeconds, 1);
      assert.equal(typeof (limiter.reserve('carol', '192.0.2.1') as { scope?: string }).scope, 'string', 'no check can be reserved either');
    });

    it('leaves the same username from other addresses, and other usernames from the address, unaffected', () => {
      const { limiter, fail } = setup();
      fail('carol', '192.0.2.1', 20);
      assert.equal(limiter.check('carol', '192.0.2.2'), null);
      assert.equal(limiter.check('carol', '2001:db8::1'), null);
      assert.equal(limiter.check('dave', '192.0.2.1'), null);
    });

    it('clears the pair counter on a success', () => {
      const { limiter, fail } = setup();
      fail('carol', '192.0.2.1', 4);
      limiter.succeeded('carol', '192.0.2.1');
      fail('carol', '192.0.2.1', 4);
      assert.equal(limiter.check('carol', '192.0.2.1'), null, 'four failures after the success: still allowed');
      fail('carol', '192.0.2.1');
      assert.equal(limiter.check('carol', '192.0.2.1')?.scope, 'pair');
    });

    it('forgets failures failure_window seconds after the last failure and lockout', () => {
      const { clock, limiter, fail } = setup({ failure_window: 60 });
      fail('carol', '192.0.2.1', 4);
      clock.now += 59_999;
      fail('carol', '192.0.2.1');
      assert.equal(limiter.check('carol', '192.0.2.1')?.scope, 'pair', 'the window restarts at each failure');
      clock.now += 1_000 + 60_000;
      fail('carol', '192.0.2.1', 4);
      assert.equal(limiter.check('carol', '192.0.2.1'), null, 'counting started again from zero');
    });
  });

  describe('per client address', () => {
    it('locks an address after address_max_failures across usernames, for every username', () => {
      const { limiter, fail } = setup();
      for (let i = 0; i < 30; i += 1) fail(`user-${i}`, '192.0.2.9');
      assert.deepEqual(limiter.check('someone-new', '192.0.2.9'), { scope: 'address', retryAfterSeconds: 1 });
      assert.equal(limiter.check('someone-new', '192.0.2.10'), null, 'other addresses are unaffected');
    });

    it('backs off and caps the address lockout like the pair lockout', () => {
      const { limiter, fail } = setup({ address_lockout_cap: 120 });
      for (let i = 0; i < 40; i += 1) fail(`user-${i}`, '192.0.2.9');
      assert.equal(limiter.check('someone-new', '192.0.2.9')?.retryAfterSeconds, 120);
    });

    it('counts an IPv6 client by its /64, so rotating addresses inside it does not help', () => {
      const { limiter } = setup();
      for (let i = 0; i < 30; i += 1) limiter.failed(`user-${i}`, `2001:db8:0:7::${(i + 1).toString(16)}`);
      assert.equal(limiter.check('someone-new', '2001:db8:0:7:ffff::1')?.scope, 'address');
      assert.equal(limiter.check('someone-new', '2001:db8:0:8::1'), null);
    });

    it('counts an IPv4-mapped address as its IPv4 address', () => {
      const { limiter, fail } = setup();
      fail('carol', '::ffff:192.0.2.1', 5);
      assert.equal(limiter.check('carol', '192.0.2.1')?.scope, 'pair');
    });
  });

  describe('per username across addresses', () => {
    it('locks a username sprayed from many addresses, briefly, with a cap of username_lockout_cap', () => {
      const { clock, limiter } = setup();
      for (let i = 0; i < 150; i += 1) limiter.failed('carol', `198.51.100.${i}`);
      const lockout = limiter.check('carol', '203.0.113.7');
      assert.equal(lockout?.scope, 'username');
      assert.equal(lockout?.retryAfterSeconds, 30, 'capped at 30 s however many failures');
      clock.now += 30_000;
      assert.equal(limiter.check('carol', '203.0.113.7'), null, 'the user gets in after the short lockout');
      assert.equal(limiter.check('dave', '203.0.113.7'), null);
    });

    it('exempts a pair that authenticated within the window from the username and address lockouts', () => {
      const { clock, limiter, fail } = setup();
      limiter.succeeded('carol', '203.0.113.7');
      for (let i = 0; i < 150; i += 1) limiter.failed('carol', `198.51.100.${i}`);
      for (let i = 0; i < 40; i += 1) fail(`user-${i}`, '203.0.113.7');
      assert.equal(limiter.check('carol', '203.0.113.7'), null, 'carol still gets in from her usual address');
      assert.equal(limiter.check('dave', '203.0.113.7')?.scope, 'address', 'the address stays locked for others');
      assert.equal(limiter.check('carol', '203.0.113.8')?.scope, 'username', 'and carol from elsewhere is slowed');
      fail('carol', '203.0.113.7', 5);
      assert.equal(limiter.check('carol', '203.0.113.7')?.scope, 'pair', 'the exempt pair still has its own counter');
      clock.now += 900_000 + 901_000;
      assert.equal(limiter.check('carol', '203.0.113.7'), null);
    });
  });

  describe('attempts in flight', () => {
    it('counts reserved checks, so a burst of concurrent guesses gets no more than the limit', () => {
      const { limiter } = setup();
      const held: Reservation[] = [];
      for (let i = 0; i < 5; i += 1) {
        const r = limiter.reserve('carol', '192.0.2.1');
        assert.ok(!('scope' in r), `reservation ${i + 1}`);
        held.push(r as Reservation);
      }
      assert.deepEqual(limiter.reserve('carol', '192.0.2.1'), { scope: 'pair', retryAfterSeconds: 1 });
      for (const r of held) r.settle('failure');
      assert.equal(limiter.check('carol', '192.0.2.1')?.scope, 'pair');
    });

    it('frees a reservation that checked nothing, and counts each settle once', () => {
      const { limiter } = setup();
      const first = limiter.reserve('carol', '192.0.2.1') as Reservation;
      first.settle('none');
      first.settle('failure');
      assert.equal(limiter.tracked, 0, 'nothing counted, nothing held');
      const second = limiter.reserve('carol', '192.0.2.1') as Reservation;
      second.settle('success');
      assert.equal(limiter.tracked, 1, 'only the recently successful pair');
    });
  });

  it('holds at most max_tracked entries per table under a flood of usernames and addresses', () => {
    const { limiter } = setup({ max_tracked: 100 });
    for (let i = 0; i < 5_000; i += 1) {
      limiter.failed(`user-${i}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      limiter.succeeded(`ok-${i}`, `10.1.${(i >> 8) & 255}.${i & 255}`);
    }
    assert.ok(limiter.tracked <= 400, `tracked ${limiter.tracked}`);
    limiter.failed('carol', '192.0.2.1');
    assert.ok(limiter.tracked <= 400);
  });

  describe('shared between the workers of a node', () => {
    /** Two limiters wired as the worker pool wires them: each one's outcomes reach the other. */
    const pair = () => {
      const clock = { now: 1_700_000_000_000 };
      const sent: SharedOutcome[][] = [[], []];
      const limiters: FailureLimiter[] = [];
      for (const i of [0, 1]) {
        limiters.push(
          createFailureLimiter(
            {
              now: () => clock.now,
              share: (shared) => {
                sent[i]!.push(shared);
                limiters[1 - i]!.applyShared(shared);
              },
            },
            CONFIG,
          ),
        );
      }
      return { a: limiters[0]!, b: limiters[1]!, sent };
    };

    it('locks a pair after five failures spread over two workers, in both', () => {
      const { a, b } = pair();
      for (let i = 0; i < 4; i += 1) (i % 2 === 0 ? a : b).failed('carol', '192.0.2.1');
      assert.equal(a.check('carol', '192.0.2.1'), null);
      assert.equal(b.check('carol', '192.0.2.1'), null);
      b.failed('carol', '192.0.2.1');
      assert.deepEqual(a.check('carol', '192.0.2.1'), { scope: 'pair', retryAfterSeconds: 1 });
      assert.deepEqual(b.check('carol', '192.0.2.1'), { scope: 'pair', retryAfterSeconds: 1 });
    });

    it('shares settled reservations and the cached outcomes, never what it applied from another worker', () => {
      const { a, b, sent } = pair();
      (a.reserve('carol', '192.0.2.1') as Reservation).settle('failure');
      (a.reserve('carol', '192.0.2.1') as Reservation).settle('none');
      (a.reserve('dave', '192.0.2.2') as Reservation).settle('success');
      a.failed('erin', '192.0.2.3');
      a.succeeded('erin', '192.0.2.3');
      assert.deepEqual(sent[0], [
        { outcome: 'failure', subject: 'carol', clientAddress: '192.0.2.1' },
        { outcome: 'success', subject: 'dave', clientAddress: '192.0.2.2' },
        { outcome: 'failure', subject: 'erin', clientAddress: '192.0.2.3' },
        { outcome: 'success', subject: 'erin', clientAddress: '192.0.2.3' },
      ]);
      // b applied all four and sent none of them back (no echo between workers).
      assert.deepEqual(sent[1], []);
      assert.equal(b.tracked, a.tracked);
    });

    it('exempts a pair from the address lock in a worker where it never authenticated, once another worker saw it succeed', () => {
      const { a, b } = pair();
      a.succeeded('carol', '192.0.2.1');
      for (let i = 0; i < CONFIG.address_max_failures; i += 1) a.failed(`user${i}`, '192.0.2.1');
      assert.equal(b.check('mallory', '192.0.2.1')?.scope, 'address');
      assert.equal(b.check('carol', '192.0.2.1'), null);
    });
  });
});
