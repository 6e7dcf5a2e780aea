// Worker thread of countConntrackInWorker (conntrack.ts): reads and counts
// conntrack while the main thread builds the rest of `status`.
import { parentPort, workerData } from 'node:worker_threads';
import { countConntrackHere } from './conntrack.js';

parentPort!.postMessage(await countConntrackHere(workerData as { netns?: string; timeoutMs?: number }));
