// Shared test helpers: temp dirs, in-process and subprocess servers, waiting with deadlines,
// process-group cleanup, client-node plumbing. See /work/shared/docs/testing.md.

export { Cleanup, type CleanupAction } from './cleanup.js';
export { makeTempDir } from './temp-dir.js';
export { sleep, waitFor, withDeadline, type WaitOptions } from './wait.js';
export {
  everynodeBin,
  isProcessAlive,
  killPidsWith,
  pidsWith,
  repoRoot,
  runCommand,
  spawnNode,
  startServerProcess,
  stopProcessGroup,
  type ServerProcess,
  type SpawnedProcess,
} from './process.js';
export {
  defaultTestStore,
  freshEtcdStoreUrl,
  restartTestServer,
  setDefaultTestStore,
  sharedTestEtcd,
  startTestServer,
  useTestServer,
  type TestServer,
  type TestServerOptions,
  type TestStoreKind,
  clusterDataDirs,
  CLUSTER_FILES,
  describeWithEtcd,
  startEtcdCluster,
} from './server.js';
export { etcdAvailable, etcdBin, etcdSkipReason, startEtcd, type EtcdProcess } from './etcd.js';
export { apiClients, apiFailure, decodeApiError, kubeConfigFromFile, namespaceFactory, type ApiClients, type ApiFailure } from './kube.js';
export { apiCaller, asStatus, heldRequest, httpRequest, type ApiAnswer, type HttpAnswer } from './http.js';
export { startHangingProxy, type HangingProxy } from './proxy.js';
export {
  createUserToken,
  credentialsFromKubeconfig,
  issueTestClientCert,
  registerServer,
  serverCredentials,
  testFetch,
  writeKubeconfigFor,
  type ServerCredentials,
  type TestFetchInit,
} from './auth.js';
export { kubectlAvailable, runKubectl, versionedKubectl, type KubectlRun } from './kubectl.js';
export { openWireWatch, type WireWatch, type WireWatchEvent } from './watch.js';
export { readWebSocket, type WebSocketRead } from './websocket.js';
export { http2Request, openHttp2Session } from './http2.js';
export { startTestAgent, type TestAgent } from './agent.js';
