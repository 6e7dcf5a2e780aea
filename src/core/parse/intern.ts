// Interning for the parsers: one string per distinct text. Dumps repeat the
// same few thousand texts (bridge names, addresses, ports, flags, protocol
// and state names) tens of thousands of times; handing out one string per
// text saves an allocation per repeat, and lets every later comparison of two
// equal texts succeed on identity.
//
// A text is looked up by hashing its characters where they stand in the
// input (no slice for a text seen before). Pure: no I/O.

/** Character codes of the string detach is copying (reused: detach is synchronous). */
const CODES: number[] = [];

/**
 * A copy of `s` that shares no memory with the text it was sliced from, so a
 * long-lived interned string does not keep a whole dump alive. Short slices
 * are copies already (V8 slices only from 13 characters); a longer one is
 * rebuilt from its character codes, which gives a flat string of its own.
 */
export function detach(s: string): string {
  const n = s.length;
  if (n < 13) return s;
  if (n > 4096) return s.split('').join('');
  CODES.length = n;
  for (let i = 0; i < n; i++) CODES[i] = s.charCodeAt(i);
  return String.fromCharCode.apply(null, CODES);
}

/** One character folded into a hash (FNV-1a step). */
export function hashStep(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193);
}

function hashEnd(h: number, len: number): number {
  h ^= len;
  return h ^ (h >>> 15);
}

/** k equals s[a, a + k.length) (a loop the JIT inlines: startsWith is a call per lookup). */
function sameAt(k: string, s: string, a: number): boolean {
  for (let j = 0; j < k.length; j++) if (k.charCodeAt(j) !== s.charCodeAt(a + j)) return false;
  return true;
}

export class Interner {
  private keys: Array<string | undefined>;
  /** One small integer per interned text, for the caller (e.g. an address family). */
  private tags: Int8Array;
  private mask: number;
  private count = 0;
  /** Tag of the text found or added by the last get(). */
  tag = 0;

  constructor(
    size: number,
    /** Start over when this many texts are held (bounds a long-lived table). */
    private readonly limit: number,
    /** Tag of a text when it is added. */
    private readonly initialTag = 0,
  ) {
    let n = 16;
    while (n < size) n *= 2;
    this.keys = new Array<string | undefined>(n);
    this.tags = new Int8Array(n);
    this.mask = n - 1;
  }

  /** Hash of s[a, b): fold each character with hashStep from `seed`, then hashEnd. */
  readonly seed = (Math.random() * 0x100000000) | 0;

  private slot(s: string, a: number, b: number): number {
    let h = this.seed;
    for (let i = a; i < b; i++) h = hashStep(h, s.charCodeAt(i));
    return this.probe(s, a, b, h);
  }

  private probe(s: string, a: number, b: number, h: number): number {
    const keys = this.keys;
    const len = b - a;
    let i = hashEnd(h, len) & this.mask;
    for (;;) {
      const k = keys[i];
      if (k === undefined || (k.length === len && sameAt(k, s, a))) return i;
      i = (i + 1) & this.mask;
    }
  }

  /** The interned s[a, b); its tag is left in `tag`. */
  get(s: string, a: number, b: number): string {
    return this.at(s, a, b, this.slot(s, a, b));
  }

  /**
   * get() for a caller that hashed s[a, b) while scanning it: `h` is
   * hashStep folded over its characters from `seed` (hashEnd not applied).
   */
  getHashed(s: string, a: number, b: number, h: number): string {
    return this.at(s, a, b, this.probe(s, a, b, h));
  }

  private at(s: string, a: number, b: number, slot: number): string {
    let i = slot;
    const k = this.keys[i];
    if (k !== undefined) {
      this.tag = this.tags[i]!;
      return k;
    }
    const v = detach(s.slice(a, b));
    if (this.count >= this.limit) {
      this.keys = new Array<string | undefined>(this.keys.length);
      this.tags = new Int8Array(this.keys.length);
      this.count = 0;
      i = this.slot(v, 0, v.length);
    }
    this.keys[i] = v;
    this.tags[i] = this.initialTag;
    this.tag = this.initialTag;
    if (++this.count * 2 > this.keys.length) this.grow();
    return v;
  }

  /** Set the tag of an interned text (one get() returned it). */
  setTag(s: string, tag: number): void {
    this.tags[this.slot(s, 0, s.length)] = tag;
    this.tag = tag;
  }

  private grow(): void {
    const old = this.keys;
    const oldTags = this.tags;
    this.keys = new Array<string | undefined>(old.length * 2);
    this.tags = new Int8Array(old.length * 2);
    this.mask = old.length * 2 - 1;
    for (let j = 0; j < old.length; j++) {
      const k = old[j];
      if (k === undefined) continue;
      const i = this.slot(k, 0, k.length);
      this.keys[i] = k;
      this.tags[i] = oldTags[j]!;
    }
  }
}
