// The refresh-age label for the status line, checked once a second but set
// as a string: React skips the render (and Ink the repaint) while the label
// stays the same, which is always while reads keep coming in time.
import { useEffect, useState } from 'react';
import { refreshAgeLabel } from '../present/status.js';

/**
 * `lastOk` reads the time of the last good read (a ref: reads that changed
 * nothing do not re-render anything); `seen` is the lastOk of the data on
 * screen, so a new sample updates the label at once.
 */
export function useRefreshAge(lastOk: () => number | null, seen: number | null, intervalMs: number): string | null {
  const [label, setLabel] = useState(() => refreshAgeLabel(lastOk() ?? seen, Date.now(), intervalMs));
  useEffect(() => {
    const update = () => setLabel(refreshAgeLabel(lastOk() ?? seen, Date.now(), intervalMs));
    update();
    const t = setInterval(update, 1000);
    return () => clearInterval(t);
  }, [lastOk, seen, intervalMs]);
  return label;
}
