// Themes: built-in files validate and agree with the code default, files
// merge over the default, NO_COLOR strips colour, names resolve user-first,
// and hot reload works on a real file change on disk; a broken file keeps
// the previous theme with a warning.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { themeJsonSchema } from '../../src/ui/theme/json-schema.js';
import { BUILTIN_THEME_DIR, DEFAULT_THEME, loadThemeFile, locateTheme, noColorFromEnv, parseThemeText, resolveTheme, userThemeDir, withoutColor } from '../../src/ui/theme/load.js';
import { ThemeProvider, useThemeState } from '../../src/ui/theme/context.js';
import { TOKENS } from '../../src/ui/theme/schema.js';
import { watchThemeFile } from '../../src/ui/theme/watch.js';
import { fixtureSample, renderApp, sequenceLoader, waitFor } from './ui-harness.js';

const tmpDirs: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'pcl-theme-'));
  tmpDirs.push(d);
  return d;
}
after(async () => {
  cleanup();
  for (const d of tmpDirs) await rm(d, { recursive: true, force: true });
});

async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('built-in themes', () => {
  it('dark, light and monochrome exist, validate and set every token', async () => {
    const names = (await readdir(BUILTIN_THEME_DIR)).filter((f) => f.endsWith('.json') && f !== 'theme.schema.json');
    for (const n of ['dark.json', 'light.json', 'monochrome.json']) assert.ok(names.includes(n), n);
    for (const n of names) {
      const r = await loadThemeFile(path.join(BUILTIN_THEME_DIR, n));
      assert.ok(r.ok, `${n}: ${r.ok ? '' : r.error}`);
    }
  });
  it('themes/dark.json is the code default', async () => {
    const parsed = parseThemeText(await readFile(path.join(BUILTIN_THEME_DIR, 'dark.json'), 'utf8'), 'dark.json');
    assert.ok(parsed.ok);
    assert.deepEqual(resolveTheme(parsed.value).tokens, DEFAULT_THEME.tokens);
  });
  it('monochrome uses no colour at all', async () => {
    const r = await loadThemeFile(path.join(BUILTIN_THEME_DIR, 'monochrome.json'));
    assert.ok(r.ok);
    for (const t of TOKENS) assert.ok(!r.value.tokens[t].fg && !r.value.tokens[t].bg, t);
  });
  it('themes/theme.schema.json is generated from the zod schema', async () => {
    const onDisk = JSON.parse(await readFile(path.join(BUILTIN_THEME_DIR, 'theme.schema.json'), 'utf8'));
    assert.deepEqual(onDisk, JSON.parse(JSON.stringify(themeJsonSchema())));
  });
});

describe('theme files', () => {
  it('a partial file merges over the default, token by token', () => {
    const p = parseThemeText('{"name":"mine","status":{"error":"magenta"},"muted":{"dim":true}}', 'mine.json');
    assert.ok(p.ok);
    const t = resolveTheme(p.value);
    assert.equal(t.name, 'mine');
    assert.deepEqual(t.tokens['status.error'], { fg: 'magenta' });
    assert.deepEqual(t.tokens.muted, { dim: true });
    assert.deepEqual(t.tokens['status.ok'], DEFAULT_THEME.tokens['status.ok']);
  });
  it('rejects a bad colour, an unknown token and bad JSON, naming the place', () => {
    const bad = parseThemeText('{"status":{"ok":"purple"}}', 'x.json');
    assert.ok(!bad.ok && /status\.ok/.test(bad.error) && /not a colour/.test(bad.error), bad.ok ? '' : bad.error);
    const typo = parseThemeText('{"mutted":"gray"}', 'x.json');
    assert.ok(!typo.ok && /mutted/.test(typo.error), typo.ok ? '' : typo.error);
    const json = parseThemeText('{"muted":', 'x.json');
    assert.ok(!json.ok && /not valid JSON/.test(json.error));
  });
  it('NO_COLOR / --no-color drop colours and keep the selection visible', () => {
    const t = withoutColor(DEFAULT_THEME);
    for (const tok of TOKENS) assert.ok(!t.tokens[tok].fg && !t.tokens[tok].bg, tok);
    assert.equal(t.tokens.selection.inverse, true);
    assert.equal(t.tokens['status.error'].bold, true);
    assert.equal(noColorFromEnv({ NO_COLOR: '1' }), true);
    assert.equal(noColorFromEnv({ NO_COLOR: '' }), false);
    assert.equal(noColorFromEnv({}), false);
  });
  it('names resolve in the user dir first, then built-in; files by path', async () => {
    const user = await tmp();
    await writeFile(path.join(user, 'light.json'), '{"name":"my-light"}');
    const a = await locateTheme('light', { user, builtin: BUILTIN_THEME_DIR });
    assert.ok(a.ok && a.value === path.join(user, 'light.json'));
    const b = await locateTheme('monochrome', { user, builtin: BUILTIN_THEME_DIR });
    assert.ok(b.ok && b.value === path.join(BUILTIN_THEME_DIR, 'monochrome.json'));
    const c = await locateTheme('./x/y.json', { user, builtin: BUILTIN_THEME_DIR });
    assert.ok(c.ok && c.value === path.resolve('x/y.json'));
    const d = await locateTheme('nope', { user, builtin: BUILTIN_THEME_DIR });
    assert.ok(!d.ok && /no theme "nope"/.test(d.error));
    assert.equal(userThemeDir({ XDG_CONFIG_HOME: '/cfg' }), '/cfg/portcullis/themes');
  });
});

describe('hot reload', () => {
  it('a change on disk is applied; a broken file is refused with a reason', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'live.json');
    await writeFile(file, '{"name":"one"}');
    const seen: string[] = [];
    const errors: string[] = [];
    const w = watchThemeFile(file, (t) => seen.push(t.name), (e) => errors.push(e));
    await w.ready;
    await writeFile(file, '{"name":"two","accent":"magenta"}');
    await until(() => seen.includes('two'), 'reload to "two"');
    await writeFile(file, '{"name":"three","accent":"not-a-colour"}');
    await until(() => errors.length > 0, 'error for the broken file');
    assert.match(errors[0] ?? '', /accent/);
    assert.ok(!seen.includes('three'));
    await w.close();
  });

  it('in the app: the theme follows the file, a broken save keeps it and warns', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'mine.json');
    await writeFile(file, '{"name":"first"}');
    const first = await loadThemeFile(file);
    assert.ok(first.ok);
    function Probe() {
      const { theme, warning } = useThemeState();
      return <Text>{`theme=${theme.name} accent=${JSON.stringify(theme.tokens.accent)} warning=${warning ?? '-'}`}</Text>;
    }
    const inst = render(
      <ThemeProvider initial={first.value} file={file} noColor={false}>
        <Probe />
      </ThemeProvider>,
    );
    await waitFor(inst, (f) => f.includes('theme=first'), 'initial theme');
    // chokidar needs its watch in place before the write; retry the write until seen.
    const deadline = Date.now() + 5000;
    while (!(inst.lastFrame() ?? '').includes('theme=second')) {
      if (Date.now() > deadline) throw new Error(`no reload: ${inst.lastFrame()}`);
      await writeFile(file, '{"name":"second","accent":"magenta"}');
      await new Promise((r) => setTimeout(r, 150));
    }
    await writeFile(file, '{"name":"third","accent":12}');
    const f = await waitFor(inst, (x) => x.includes('warning=theme not reloaded'), 'warning');
    assert.match(f, /theme=second accent=\{"fg":"magenta"\}/, 'previous theme kept');
    assert.match(f, /accent/);
    await writeFile(file, '{"name":"fourth"}');
    await waitFor(inst, (x) => x.includes('theme=fourth') && x.includes('warning=-'), 'fixed file applies, warning gone');
    inst.unmount();
  });

  it('the warning reaches the screen', async () => {
    const dir = await tmp();
    const file = path.join(dir, 'w.json');
    await writeFile(file, '{"name":"ok"}');
    const inst = renderApp(sequenceLoader([await fixtureSample()]), 80, 24, { themeFile: file, themeWarning: 'theme not loaded (default in use): w.json: muted: bad' });
    await waitFor(inst, (f) => f.includes('theme not loaded (default in use)'), 'warning on the info line');
    inst.unmount();
  });
});

describe('components use tokens only', () => {
  it('no colour literal in src/ui/components or src/ui/views', async () => {
    const root = path.resolve(BUILTIN_THEME_DIR, '../src/ui');
    const colour = /(color|backgroundColor)=["{]|#[0-9a-fA-F]{6}\b|['"](red|green|yellow|blue|magenta|cyan|gray|grey|white|black)(Bright)?['"]/;
    for (const sub of ['components', 'views']) {
      for (const f of await readdir(path.join(root, sub))) {
        const text = await readFile(path.join(root, sub, f), 'utf8');
        assert.doesNotMatch(text, colour, `${sub}/${f} uses a colour literal`);
      }
    }
  });
});
