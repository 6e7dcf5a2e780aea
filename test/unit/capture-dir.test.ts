import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NOT_IN_CAPTURE, readCaptureDir, writeCaptureDir } from '../../src/host/capture-dir.js';
import { CAPTURE_FILES, type RawCapture } from '../../src/core/types.js';

let root: string;
before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'pch-capture-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

function sample(): RawCapture {
  return {
    files: {
      'iptables-save.txt': '*filter\n:INPUT ACCEPT [1:2]\n[3:4] -A INPUT -s 198.51.100.7/32 -j DROP\nCOMMIT\n',
      'iptables-legacy-save.txt': '',
      'ip6tables-save.txt': '*filter\n:INPUT DROP [0:0]\nCOMMIT\n',
      'conntrack.txt': 'tcp      6 599 ESTABLISHED src=198.51.100.1 dst=198.51.100.2 sport=1234 dport=80 [UNREPLIED] src=198.51.100.2 dst=198.51.100.1 sport=80 dport=1234 [ASSURED] mark=0 use=1\n',
      'ip-link.json': '[{"ifindex":1,"ifname":"lo"}]\n',
      'ip-addr.json': '[]\n',
      'docker-proxy.txt': 'pid=42 /usr/sbin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8080 -container-ip 172.17.0.2 -container-port 80\n',
      'sysctl.txt': 'net.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward = 1\n',
      // no final newline, unicode: kept byte for byte
      'networks.json': '[{"Name":"bridge","Labels":{"note":"caf\u00e9 \u2713"}}]',
    },
    meta: {
      time: 1_700_000_000_123,
      hostname: 'host-a',
      netns: 'pch-x',
      dockerVersion: '20.10.24',
      unavailable: {
        'ip6tables-legacy-save.txt': 'ip6tables-legacy-save is not installed (legacy backend not checked)',
        'containers.json': 'Docker is not reachable at /var/run/docker.sock (no such socket): showing rules only',
        'container-ifaces.json': 'Docker is not reachable at /var/run/docker.sock (no such socket): showing rules only',
      },
      notes: ['no legacy IPv4 tables in use (iptables-legacy-save shows only empty built-in chains)'],
    },
  };
}

describe('capture directory', () => {
  it('round-trips a RawCapture (every absent file has a reason)', async () => {
    const dir = path.join(root, 'rt');
    const raw = sample();
    // every capture file is either present or explained
    for (const f of CAPTURE_FILES) assert.ok(raw.files[f] !== undefined || raw.meta.unavailable[f] !== undefined, f);
    await writeCaptureDir(dir, raw);
    const back = await readCaptureDir(dir);
    assert.deepStrictEqual(back, raw);
    const names = (await readdir(dir)).sort();
    assert.ok(names.includes('meta.json'));
    assert.ok(!names.some((n) => n.endsWith('.tmp')), `no temp files left: ${names.join(',')}`);
    assert.ok(!names.includes('containers.json'));
  });

  it('lists missing files as "not in capture" and defaults the meta without meta.json', async () => {
    const dir = path.join(root, 'bare');
    await writeCaptureDir(dir, { files: { 'iptables-save.txt': '*filter\nCOMMIT\n' }, meta: sample().meta });
    await rm(path.join(dir, 'meta.json'));
    const back = await readCaptureDir(dir);
    assert.equal(back.files['iptables-save.txt'], '*filter\nCOMMIT\n');
    assert.equal(Object.keys(back.files).length, 1);
    for (const f of CAPTURE_FILES) {
      if (f !== 'iptables-save.txt') assert.equal(back.meta.unavailable[f], NOT_IN_CAPTURE, f);
    }
    assert.equal(back.meta.unavailable['iptables-save.txt'], undefined);
    assert.equal(back.meta.hostname, null);
    assert.equal(back.meta.netns, null);
    assert.equal(back.meta.dockerVersion, null);
    assert.ok(back.meta.time > 1_700_000_000_000, 'time from the file date');
    assert.match(back.meta.notes.join('\n'), /no meta\.json/);
  });

  it('reads a capture with only some files and a partial meta.json', async () => {
    const dir = path.join(root, 'partial');
    await writeCaptureDir(dir, { files: {}, meta: sample().meta });
    await writeFile(path.join(dir, 'conntrack.txt'), 'x\n');
    await writeFile(path.join(dir, 'meta.json'), JSON.stringify({ time: 5, unavailable: { 'bogus.txt': 'ignored', 'containers.json': 'Docker down' } }));
    const back = await readCaptureDir(dir);
    assert.deepStrictEqual(back.files, { 'conntrack.txt': 'x\n' });
    assert.equal(back.meta.time, 5);
    assert.equal(back.meta.unavailable['containers.json'], 'Docker down');
    assert.equal(back.meta.unavailable['networks.json'], NOT_IN_CAPTURE);
    assert.equal((back.meta.unavailable as Record<string, string>)['bogus.txt'], undefined);
    assert.deepStrictEqual(back.meta.notes, []);
  });

  it('ignores an invalid meta.json with a note', async () => {
    const dir = path.join(root, 'badmeta');
    await writeCaptureDir(dir, sample());
    await writeFile(path.join(dir, 'meta.json'), JSON.stringify({ time: 'yesterday' }));
    const back = await readCaptureDir(dir);
    assert.equal(back.meta.hostname, null);
    assert.match(back.meta.notes.join('\n'), /meta\.json is invalid \(time: /);
    await writeFile(path.join(dir, 'meta.json'), '{not json');
    assert.match((await readCaptureDir(dir)).meta.notes.join('\n'), /not valid JSON/);
  });

  it('overwrites an earlier capture in the same directory, removing stale source files only', async () => {
    const dir = path.join(root, 'over');
    await writeCaptureDir(dir, sample());
    await writeFile(path.join(dir, 'README'), 'mine');
    const next: RawCapture = { files: { 'conntrack.txt': '' }, meta: { ...sample().meta, unavailable: {}, notes: [] } };
    await writeCaptureDir(dir, next);
    const back = await readCaptureDir(dir);
    assert.deepStrictEqual(back.files, { 'conntrack.txt': '' });
    assert.equal(back.meta.unavailable['iptables-save.txt'], NOT_IN_CAPTURE);
    assert.equal(await readFile(path.join(dir, 'README'), 'utf8'), 'mine');
  });

  it('fails plainly for a missing directory or a file', async () => {
    await assert.rejects(readCaptureDir(path.join(root, 'nope')), /capture directory .* does not exist/);
    const file = path.join(root, 'afile');
    await writeFile(file, '');
    await assert.rejects(readCaptureDir(file), /is not a directory/);
  });
});
