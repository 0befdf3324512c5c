/**
 * Shares one copy of strings that many cached keys repeat (issuer names, service and consumer
 * ids): every row read from the store brings fresh copies, ~50 bytes each per cached key, which
 * is a third of the cache's memory at a million keys with a few thousand owners. Bounded: when
 * `maxSize` distinct strings are held it starts over (strings handed out stay valid; only the
 * sharing of later copies restarts), so a store of a million owners cannot grow it without limit.
 */

export type StringInterner = (value: string) => string;

export function createStringInterner(maxSize: number): StringInterner {
  let strings = new Map<string, string>();
  return (value) => {
    const known = strings.get(value);
    if (known !== undefined) return known;
    if (strings.size >= maxSize) strings = new Map();
    strings.set(value, value);
    return value;
  };
}
