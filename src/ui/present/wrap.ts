// Word wrapping for dialog and finding text: every line fits the width
// (Line truncates, so text that must be read whole is wrapped first).
// Words longer than a line (rule texts, addresses) are cut hard.

/** Lines of at most `width` cells; continuation lines start with `indent`. */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const w = Math.max(8, width);
  const lead = /^\s*/.exec(text)?.[0] ?? '';
  const words = text.slice(lead.length).split(/\s+/).filter(Boolean);
  if (words.length === 0) return [lead.slice(0, w)];
  const lines: string[] = [];
  let cur = lead;
  let fresh = true;
  const room = () => w - [...cur].length;
  const push = () => {
    lines.push(cur);
    cur = indent;
    fresh = true;
  };
  for (let word of words) {
    const need = (fresh ? 0 : 1) + [...word].length;
    if (need <= room()) {
      cur += (fresh ? '' : ' ') + word;
      fresh = false;
      continue;
    }
    if (!fresh) push();
    // A word longer than a whole line: cut it.
    while ([...word].length > room()) {
      const r = Math.max(1, room());
      cur += [...word].slice(0, r).join('');
      word = [...word].slice(r).join('');
      push();
    }
    if (word) {
      cur += word;
      fresh = false;
    }
  }
  if (!fresh || lines.length === 0) lines.push(cur);
  return lines;
}
