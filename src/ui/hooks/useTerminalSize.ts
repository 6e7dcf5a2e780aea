// Terminal size, updated on resize. Views lay out from this, so 80x24 and
// a wide terminal are one code path.
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

export interface Size {
  columns: number;
  rows: number;
}

export function useTerminalSize(): Size {
  const { stdout } = useStdout();
  const read = (): Size => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState<Size>(read);
  useEffect(() => {
    const on = () => {
      const n = read();
      setSize((s) => (s.columns === n.columns && s.rows === n.rows ? s : n));
    };
    stdout.on('resize', on);
    on();
    return () => {
      stdout.off('resize', on);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout]);
  return size;
}
