// Test helpers for code built on src/client (not part of the production build).
export { FakeApiClient, applyStrategicMerge, type FakeAction, type Reactor } from './fake-client.js';
export { FakeClock } from '../../util/index.js';
export { FakeRecorder } from '../event-recorder.js';
