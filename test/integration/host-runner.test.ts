// The runner against real commands. Namespace tests need root; they make
// their own `pch-*` namespace and delete it in after(), even on failure.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { run, RunError, setSpawner, spawnStream, isValidNetnsName } from '../../src/host/runner.js';
import { SpawnerClient } from '../../src/host/spawner-client.js';

const isRoot = process.getuid?.() === 0;
const NOT_ROOT = isRoot ? false : 'needs root (network namespaces); run the integration tests as root';
const NS = `pch-run-${process.pid}`;

async function rejectsWith(p: Promise<unknown>, check: (e: RunError) => void): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RunError, `expected RunError, got ${String(e)}`);
    check(e);
    return;
  }
  assert.fail('expected a rejection');
}

/** Running (a zombie waiting for pid 1 to reap it counts as dead). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

// Every run() case holds both ways a command is started: from this process,
// and through the spawner process the TUI uses (src/host/spawner.ts).
for (const mode of ['direct', 'spawner'] as const) {
const viaSpawner = () => {
  let sp: SpawnerClient | null = null;
  before(() => {
    if (mode === 'spawner') setSpawner((sp = new SpawnerClient()));
  });
  after(() => {
    setSpawner(null);
    sp?.close();
  });
};

describe(`run (${mode})`, () => {
  viaSpawner();
  it('returns stdout exactly (final newline kept), stderr, exit code and duration', async () => {
    const r = await run(['sh', '-c', 'printf "a\\nb\\n"; echo oops >&2']);
    assert.equal(r.stdout, 'a\nb\n');
    assert.equal(r.stderr, 'oops\n');
    assert.equal(r.exitCode, 0);
    assert.ok(r.durationMs >= 0 && r.durationMs < 5000);
  });

  it('passes no shell: metacharacters are plain arguments', async () => {
    const r = await run(['echo', '$HOME', '; rm -rf /', '`id`']);
    assert.equal(r.stdout, '$HOME ; rm -rf / `id`\n');
  });

  it('runs with LANG=C and LC_ALL=C', async () => {
    const r = await run(['sh', '-c', 'echo "$LANG $LC_ALL"']);
    assert.equal(r.stdout, 'C C\n');
  });

  it('feeds input on stdin, and closes stdin otherwise', async () => {
    assert.equal((await run(['cat'], { input: 'hello\n' })).stdout, 'hello\n');
    assert.equal((await run(['cat'], { timeoutMs: 3000 })).stdout, '');
  });

  it('rejects a non-zero exit with a structured error, unless allowed', async () => {
    await rejectsWith(run(['sh', '-c', 'echo first >&2; echo "it broke" >&2; exit 3']), (e) => {
      assert.equal(e.kind, 'exit');
      assert.equal(e.exitCode, 3);
      assert.deepEqual(e.argv, ['sh', '-c', 'echo first >&2; echo "it broke" >&2; exit 3']);
      assert.equal(e.stderrTail, 'first\nit broke');
      assert.equal(e.message, 'sh: exited with code 3: it broke');
    });
    const ok = await run(['sh', '-c', 'exit 1'], { allowExitCodes: [1] });
    assert.equal(ok.exitCode, 1);
  });

  it('reports a missing binary as not-found with an install hint', async () => {
    await rejectsWith(run(['pch-no-such-binary', '-x']), (e) => {
      assert.equal(e.kind, 'not-found');
      assert.equal(e.message, 'pch-no-such-binary: command not found');
    });
    await rejectsWith(run(['/nonexistent/conntrack', '-L']), (e) => {
      assert.equal(e.kind, 'not-found');
      assert.equal(e.message, 'conntrack: command not found (install the conntrack package)');
    });
  });

  it('classifies permission errors from stderr', async () => {
    await rejectsWith(run(['sh', '-c', 'echo "Could not fetch rule set generation id: Permission denied (you must be root)" >&2; exit 4']), (e) => {
      assert.equal(e.kind, 'permission');
      assert.equal(e.message, 'sh: permission denied (needs root or CAP_NET_ADMIN)');
    });
  });

  it('kills at the absolute timeout, grandchildren included', async () => {
    const t0 = Date.now();
    let bgPid = 0;
    await rejectsWith(run(['sh', '-c', 'sleep 30 & echo $!; sleep 30'], { timeoutMs: 300 }), (e) => {
      assert.equal(e.kind, 'timeout');
      assert.equal(e.message, 'sh: timed out after 0.3 s');
      bgPid = Number(e.stdout.trim());
    });
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    assert.ok(bgPid > 0, 'background pid reported');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(bgPid), false, 'the background sleep was killed with its group');
  });

  it('a process ignoring SIGTERM is killed with SIGKILL', async () => {
    const t0 = Date.now();
    await rejectsWith(run(['sh', '-c', 'trap "" TERM; sleep 30'], { timeoutMs: 200 }), (e) => assert.equal(e.kind, 'timeout'));
    assert.ok(Date.now() - t0 < 4000);
  });

  it('stops on an abort signal, and refuses to start when already aborted', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const t0 = Date.now();
    await rejectsWith(run(['sleep', '30'], { signal: ac.signal }), (e) => {
      assert.equal(e.kind, 'aborted');
      assert.equal(e.message, 'sleep: aborted');
    });
    assert.ok(Date.now() - t0 < 3000);
    await rejectsWith(run(['sleep', '30'], { signal: ac.signal }), (e) => assert.equal(e.kind, 'aborted'));
  });

  it('handles large outputs (~20 MB)', async () => {
    const r = await run(['sh', '-c', 'yes 0123456789012345678901234567890123456789 | head -n 500000'], { timeoutMs: 20_000 });
    assert.equal(r.stdout.length, 500_000 * 41);
  });

  it('with a digest, an output equal but for its # lines comes back unchanged and empty', async () => {
    const dump = (n: number) => ['sh', '-c', `echo "# Generated on $(date +%N)"; echo ':INPUT ACCEPT [${n}:0]'; echo COMMIT`];
    const a = await run(dump(1), { digest: { previous: null } });
    assert.equal(a.unchanged, false);
    assert.match(a.stdout, /^# Generated on \d+\n:INPUT ACCEPT \[1:0\]\nCOMMIT\n$/);
    const b = await run(dump(1), { digest: { previous: a.digest! } });
    assert.equal(b.unchanged, true);
    assert.equal(b.stdout, '');
    assert.equal(b.digest, a.digest);
    const c = await run(dump(2), { digest: { previous: a.digest! } });
    assert.equal(c.unchanged, false);
    assert.match(c.stdout, /\[2:0\]/);
    assert.equal((await run(['true'])).digest, undefined, 'no digest unless asked');
  });

  it('validates namespace names before running anything', async () => {
    for (const bad of ['', '..', '.', 'a/b', 'x y', '$(id)', 'a'.repeat(65)]) {
      assert.equal(isValidNetnsName(bad), false, bad);
      await assert.rejects(run(['true'], { netns: bad }), RangeError);
    }
    assert.equal(isValidNetnsName('pch-run_1.a'), true);
  });
});

describe(`run in a network namespace (${mode})`, { skip: NOT_ROOT }, () => {
  viaSpawner();
  before(async () => {
    await run(['ip', 'netns', 'add', NS]);
    // a veth pair (the dummy module may be missing); both ends stay in NS
    await run(['ip', '-n', NS, 'link', 'add', 'pchdummy0', 'type', 'veth', 'peer', 'name', 'pchdummy1']);
    await run(['ip', '-n', NS, 'addr', 'add', '198.51.100.77/24', 'dev', 'pchdummy0']);
  });
  after(async () => {
    await run(['ip', 'netns', 'del', NS]).catch(() => undefined);
  });

  it('prefixes ip netns exec: ip -j addr sees only that namespace', async () => {
    const r = await run(['ip', '-j', 'addr'], { netns: NS });
    const links = JSON.parse(r.stdout) as Array<{ ifname: string; addr_info: Array<{ local: string }> }>;
    assert.deepEqual(links.map((l) => l.ifname).sort(), ['lo', 'pchdummy0', 'pchdummy1']);
    const dummy = links.find((l) => l.ifname === 'pchdummy0');
    assert.deepEqual(dummy?.addr_info.map((a) => a.local), ['198.51.100.77']);
  });

  it('reports a namespace that does not exist', async () => {
    await rejectsWith(run(['true'], { netns: 'pch-does-not-exist' }), (e) => {
      assert.equal(e.kind, 'not-found');
      assert.equal(e.message, 'network namespace "pch-does-not-exist" does not exist (see ip netns list)');
    });
  });

  it('classifies a real permission error (iptables-save as nobody, inside the namespace)', async () => {
    await rejectsWith(
      run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'iptables-nft-save', '-c'], { netns: NS }),
      (e) => {
        assert.equal(e.kind, 'permission');
        assert.match(e.stderrTail, /you must be root/);
      },
    );
  });

  it('times out inside a namespace too', async () => {
    await rejectsWith(run(['sleep', '30'], { netns: NS, timeoutMs: 200 }), (e) => assert.equal(e.kind, 'timeout'));
  });
});
}

describe('the spawner', () => {
  it('starts the commands itself: their parent is the spawner, not this process', async () => {
    const sp = new SpawnerClient();
    setSpawner(sp);
    try {
      const r = await run(['sh', '-c', 'echo $PPID']);
      assert.equal(Number(r.stdout.trim()), sp.pid);
      assert.notEqual(sp.pid, process.pid);
    } finally {
      setSpawner(null);
      sp.close();
    }
  });

  it('when it dies mid-run the run fails (not run twice) and the next one starts here', async () => {
    const sp = new SpawnerClient();
    setSpawner(sp);
    try {
      const pending = run(['sleep', '30']);
      await new Promise((r) => setTimeout(r, 300));
      process.kill(sp.pid!, 'SIGKILL');
      await rejectsWith(pending, (e) => assert.match(e.message, /^sleep: the spawner process ended while it ran$/));
      assert.equal(sp.alive, false);
      const r = await run(['sh', '-c', 'echo $PPID']);
      assert.equal(Number(r.stdout.trim()), process.pid);
    } finally {
      setSpawner(null);
      sp.close();
    }
  });

  it('ends with its client and kills what it still runs', async () => {
    const sp = new SpawnerClient();
    setSpawner(sp);
    const spPid = sp.pid!;
    const out = run(['sh', '-c', 'echo $$; exec sleep 30']).catch((e: unknown) => e);
    // The sleep's pid: wait until the spawner's child shows up.
    let child = 0;
    for (let i = 0; i < 100 && child === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        const kids = readFileSync(`/proc/${spPid}/task/${spPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
        child = kids[0] ?? 0;
      } catch {
        /* not yet */
      }
    }
    assert.ok(child > 0, 'the command started under the spawner');
    setSpawner(null);
    sp.close();
    await out;
    for (let i = 0; i < 50 && (alive(child) || alive(spPid)); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(child), false, 'the running command was killed');
    assert.equal(alive(spPid), false, 'the spawner exited');
  });
});

describe('spawnStream', () => {
  it('delivers lines and stops the process group', async () => {
    const lines: string[] = [];
    const h = spawnStream(['sh', '-c', 'echo one; echo two; sleep 30 & echo $!; sleep 30'], { onLine: (l) => lines.push(l) });
    const deadline = Date.now() + 3000;
    while (lines.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(lines.slice(0, 2), ['one', 'two']);
    const bg = Number(lines[2]);
    const end = await h.stop();
    assert.equal(end.stopped, true);
    assert.equal(end.error, null);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(bg), false);
  });

  it('reports an exit on its own in done, and stops on abort', async () => {
    const h = spawnStream(['sh', '-c', 'echo x; echo bad >&2; exit 2'], { onLine: () => undefined });
    const end = await h.done;
    assert.equal(end.stopped, false);
    assert.equal(end.exitCode, 2);
    assert.equal(end.error?.kind, 'exit');
    assert.equal(end.error?.message, 'sh: exited with code 2: bad');

    const ac = new AbortController();
    const h2 = spawnStream(['sleep', '30'], { onLine: () => undefined, signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const end2 = await h2.done;
    assert.equal(end2.stopped, true);
  });

  it('throws synchronously for a missing binary', () => {
    assert.throws(() => spawnStream(['pch-no-such-binary'], { onLine: () => undefined }), (e: unknown) => e instanceof RunError && e.kind === 'not-found');
  });
});
