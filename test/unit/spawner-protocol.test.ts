// Frames from the spawner arrive in pipe-sized pieces cut anywhere (inside
// the length, the header, a multi-byte character): the decoder must give the
// same outcomes however they are cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeOutcome, OutcomeDecoder, type DecodedOutcome, type RunOutcomeHeader } from '../../src/host/spawner-protocol.js';

function frame(id: number, stdout: string, stderr: string): Buffer {
  const o = Buffer.from(stdout, 'utf8');
  const e = Buffer.from(stderr, 'utf8');
  const h: RunOutcomeHeader = { id, pid: 100 + id, exitCode: id % 3, signal: null, code: null, stopReason: null, maxBuffer: false, stdoutBytes: o.length, stderrBytes: e.length };
  return Buffer.concat(encodeOutcome(h, [o], [e]));
}

test('decodes frames however the stream is cut', () => {
  const texts: Array<[string, string]> = [
    ['-A DOCKER -d 172.17.0.2/32 -j ACCEPT\n', ''],
    ['', 'iptables: Permission denied (you must be root).\n'],
    ['grüße ✓ 端口\n'.repeat(50), 'ß'],
    ['x'.repeat(70_000), ''],
  ];
  const all = Buffer.concat(texts.map(([o, e], i) => frame(i + 1, o, e)));
  for (const step of [1, 2, 3, 7, 64, 4096, all.length]) {
    const got: DecodedOutcome[] = [];
    const d = new OutcomeDecoder();
    for (let i = 0; i < all.length; i += step) d.push(all.subarray(i, i + step), (o) => got.push(o));
    assert.equal(got.length, texts.length, `step ${step}`);
    got.forEach((o, i) => {
      assert.equal(o.header.id, i + 1);
      assert.equal(o.header.exitCode, (i + 1) % 3);
      assert.equal(o.stdout, texts[i]![0], `stdout of frame ${i + 1}, step ${step}`);
      assert.equal(o.stderr, texts[i]![1], `stderr of frame ${i + 1}, step ${step}`);
    });
  }
});
