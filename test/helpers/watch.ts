// A raw watch over HTTP (`?watch=true`), decoded line by line: what the wire says, with no
// client-side informer logic in between. Events accumulate in order until stop(); the stream's
// end (server close, timeoutSeconds, 410 inside the stream) is observable through ended().

import { testFetch } from './auth.js';
import type { Cleanup } from './cleanup.js';

export interface WireWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  // The object as sent (a kind's JSON, or a metav1.Status for ERROR).
  object: { kind?: string; metadata?: { name?: string; namespace?: string; resourceVersion?: string; uid?: string }; [field: string]: unknown };
}

export interface WireWatch {
  /** HTTP status of the watch request (200 when the stream started). */
  status: number;
  events: WireWatchEvent[];
  ended(): boolean;
  stop(): void;
}

/** GETs `base + path` (path must carry `watch=true`) and records its events; stopped on cleanup. */
export async function openWireWatch(cleanup: Cleanup, base: string, path: string, headers: Record<string, string> = {}): Promise<WireWatch> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  cleanup.defer(stop, `watch ${base}${path}`);
  const res = await testFetch(base + path, { signal: ac.signal, headers: { accept: 'application/json', ...headers } });
  const events: WireWatchEvent[] = [];
  let ended = false;
  if (res.status !== 200 || !res.body) {
    await res.text().catch(() => '');
    return { status: res.status, events, ended: () => true, stop };
  }
  const body = res.body;
  void (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) events.push(JSON.parse(line) as WireWatchEvent);
        }
      }
    } catch {
      // aborted by stop() or the server went away
    }
    ended = true;
  })();
  return { status: res.status, events, ended: () => ended, stop };
}
