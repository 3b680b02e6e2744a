import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.js';
import { InflightLimiter } from './inflight.js';
import type { ResourceRoute } from './request-info.js';

const dev = { user: 'dev', groups: ['system:authenticated'] };
const route = (plural: string, name?: string, subresource?: string, namespace?: string): ResourceRoute => ({
  type: 'resource',
  group: '',
  version: 'v1',
  plural,
  watchPath: false,
  ...(namespace ? { namespace } : {}),
  ...(name ? { name } : {}),
  ...(subresource ? { subresource } : {}),
});
/** A response that stays open until closed. */
function openResponse(): ServerResponse & { close(): void } {
  const res = new EventEmitter();
  return Object.assign(res, { close: () => void res.emit('close') }) as never;
}

describe('InflightLimiter', () => {
  it('does not count the proxies and the other long-running subresources, nodes/proxy included', () => {
    const limiter = new InflightLimiter({ readOnly: 1, mutating: 1 });
    for (const r of [route('nodes', 'n1', 'proxy'), route('pods', 'p', 'proxy', 'default'), route('services', 's', 'proxy', 'default'), route('pods', 'p', 'log', 'default')]) {
      for (const method of ['GET', 'POST', 'GET', 'POST']) limiter.admit(method, r, false, dev, openResponse());
    }
    expect(limiter.inflight()).toEqual({ readOnly: 0, mutating: 0 });
  });

  it('counts a plain read of a node and refuses the next beyond the limit until it closes', () => {
    const limiter = new InflightLimiter({ readOnly: 1, mutating: 1 });
    const held = openResponse();
    limiter.admit('GET', route('nodes', 'n1'), false, dev, held);
    expect(() => limiter.admit('GET', route('nodes', 'n1', 'status'), false, dev, openResponse())).toThrow(ApiError);
    held.close();
    expect(limiter.inflight().readOnly).toBe(0);
  });
});
