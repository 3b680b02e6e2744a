import { runStoreConformance } from '../testing/conformance.js';
import { MemoryStore } from './index.js';

runStoreConformance('memory', {
  open: async () => new MemoryStore(),
  cleanup: async () => undefined,
});
