// One subscription: the Docker event stream. An event (container started,
// network connected...) means ports and rules change now, so it triggers a
// refresh at once; bursts (compose up) are folded into one refresh. The
// stream is reopened with backoff when it ends or fails.
import { useEffect, useRef } from 'react';
import type { Feeds } from '../data/sample.js';

const DEBOUNCE_MS = 250;

export function useDockerEvents(feed: Feeds['docker'], onChange: () => void, onError: (msg: string | null) => void): void {
  const cb = useRef({ onChange, onError });
  cb.current = { onChange, onError };
  useEffect(() => {
    if (!feed) return;
    const ctl = new AbortController();
    let debounce: NodeJS.Timeout | undefined;
    let wait: NodeJS.Timeout | undefined;
    const fire = () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => cb.current.onChange(), DEBOUNCE_MS);
    };
    const loop = async () => {
      let delay = 1000;
      while (!ctl.signal.aborted) {
        try {
          await feed(fire, ctl.signal);
          cb.current.onError(null);
          delay = 1000;
        } catch (e) {
          cb.current.onError(`Docker events: ${e instanceof Error ? e.message : String(e)}`);
          delay = Math.min(delay * 2, 30_000);
        }
        if (ctl.signal.aborted) break;
        await new Promise<void>((r) => {
          wait = setTimeout(r, delay);
        });
      }
    };
    void loop();
    return () => {
      ctl.abort();
      clearTimeout(debounce);
      clearTimeout(wait);
    };
  }, [feed]);
}
