// runTui's option handling (the parts that do not need a terminal).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { UsageError } from '../../src/commands/errors.js';
import { DEFAULT_INTERVAL_S, actionsConfig, parseInterval, startTheme } from '../../src/commands/tui.js';
import { DEFAULT_THEME } from '../../src/ui/theme/load.js';

let dir = '';
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('runTui options', () => {
  it('--interval: seconds, default 2, bad values are usage errors', () => {
    assert.equal(parseInterval(undefined), DEFAULT_INTERVAL_S);
    assert.equal(parseInterval('0.5'), 0.5);
    assert.equal(parseInterval(10), 10);
    for (const bad of ['0', '-1', 'abc', '', '100000']) assert.throws(() => parseInterval(bad), UsageError, bad);
  });
  it('--theme: a name, a file, an unknown name (usage error), a broken file (default + warning, still watched)', async () => {
    assert.deepEqual(await startTheme(undefined), { theme: DEFAULT_THEME, file: null, warning: null });
    const light = await startTheme('light');
    assert.equal(light.theme.name, 'light');
    assert.match(light.file ?? '', /themes\/light\.json$/);
    await assert.rejects(startTheme('no-such-theme'), UsageError);
    dir = await mkdtemp(path.join(os.tmpdir(), 'pcl-tui-'));
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{"status":{"ok":"nope"}}');
    const b = await startTheme(broken);
    assert.equal(b.theme, DEFAULT_THEME);
    assert.equal(b.file, broken);
    assert.match(b.warning ?? '', /status\.ok/);
  });
  it('--confirm-timeout and where actions apply: the live host in --netns, nothing for --from or --read-only', () => {
    const live = actionsConfig({ netns: 'pcl-x', stateDir: '/tmp/pcl-state-test', confirmTimeout: '5' });
    assert.equal(live.confirmTimeoutSec, 5);
    assert.equal(live.where, 'netns pcl-x');
    assert.ok(live.backend);
    assert.equal((live.backend as unknown as { stateDir: string }).stateDir, '/tmp/pcl-state-test/netns-pcl-x');
    assert.equal(actionsConfig({}).confirmTimeoutSec, 60);
    const cap = actionsConfig({ from: '/some/capture' });
    assert.equal(cap.backend, null);
    assert.match(cap.previewOnly ?? '', /capture/);
    assert.equal(actionsConfig({ netns: 'pcl-x', readOnly: true }).backend, null);
    for (const bad of ['-1', 'x', '1.5', '100000']) assert.throws(() => actionsConfig({ confirmTimeout: bad }), UsageError, bad);
  });
});
