// The refresh-age label for the status line, checked once a second but set
// as a string: React skips the render (and Ink the repaint) while the label
// stays the same, which is always while reads keep coming in time.
import { useEffect, useState } from 'react';
import { refreshAgeLabel } from '../present/status.js';

export function useRefreshAge(lastOk: number | null, intervalMs: number): string | null {
  const [label, setLabel] = useState(() => refreshAgeLabel(lastOk, Date.now(), intervalMs));
  useEffect(() => {
    const update = () => setLabel(refreshAgeLabel(lastOk, Date.now(), intervalMs));
    update();
    const t = setInterval(update, 1000);
    return () => clearInterval(t);
  }, [lastOk, intervalMs]);
  return label;
}
