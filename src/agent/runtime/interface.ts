// The seam between pod-level logic (pod worker: restart policy, backoff, probes, status) and
// whatever actually runs containers. It is shaped after the CRI RuntimeService so that three
// implementations fit: plain supervised processes (ProcessRuntime), processes in a bubblewrap
// sandbox with volumes bind-mounted at their mountPath (`ContainerConfig.mounts`), and
// containerd through CRI (a sandbox = a CRI pod sandbox; create+start of a CRI container is
// `startContainer`).
//
// Contracts every implementation keeps:
// - Nothing pod-level happens here: no restarts, no probes, no status conditions. A container
//   that exits stays `exited` (with its exit code, finish time and log) until `removeContainer`.
// - Container ids are opaque and never reused by a runtime, across agent restarts too: an id
//   that outlived its container (a pod worker's previous container, a stop or removal in flight)
//   names nothing rather than a later container, even one whose process got the same pid. Nothing
//   above the runtime parses an id (the pid is `ContainerInfo.pid`). The pod worker shows ids as
//   `<type>://<id>` (ContainerStatus.containerID).
// - `labels` given at start are returned unchanged by inspect/list, also after the agent
//   restarts (list is what restart recovery adopts from), so the pod worker keeps its own
//   bookkeeping (pod UID, container name, spec hash) there.
// - Logs are written in the CRI log file format (see container-log.ts) at
//   `<sandbox.logDirectory>/<config.logPath>`, so one reader serves every runtime.
// - Errors are RuntimeError with a closed set of codes.


import type { ResourceLimits } from './cgroups.js';

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface PodSandboxConfig {
  uid: string;
  name: string;
  namespace: string;
  /** Absolute directory for this pod's container logs (CRI log_directory). */
  logDirectory: string;
  hostname?: string;
  labels?: Record<string, string>;
}

/** A host path made visible in the container (bind mount); the process runtime ignores mounts. */
export interface Mount {
  containerPath: string;
  hostPath: string;
  readOnly?: boolean;
}

export interface KeyValue {
  name: string;
  value: string;
}

/** A process identity: what a CRI runtime takes as run_as_user, run_as_group and supplemental_groups. */
export interface ProcessIdentity {
  uid: number;
  gid: number;
  /** Supplementary groups, in order, without repeats; may be empty (then none). */
  groups: number[];
}

/**
 * Linux settings of a container's processes beyond the identity (CRI LinuxContainerSecurityContext):
 * `noNewPrivs` (no_new_privs: setuid binaries and file capabilities grant nothing), and the
 * capability bounding set: all of the runtime's, none with `dropAll`, then `add`, then without
 * `drop` (upper-case names without `CAP_`, as containerd orders a container's add and drop).
 */
export interface LinuxSecurity {
  noNewPrivs?: boolean;
  dropAll?: boolean;
  add?: string[];
  drop?: string[];
}

export interface ContainerConfig {
  /** Container name (unique within the pod). */
  name: string;
  /** 0 for the first container of this name in the sandbox, +1 for each restart. */
  attempt: number;
  image: string;
  /** Container.command after `$(VAR)` expansion; empty means the image's entrypoint. */
  command: string[];
  /** Container.args after `$(VAR)` expansion; empty means the image's default arguments. */
  args: string[];
  /** Final environment, in order; later entries win. */
  env: KeyValue[];
  workingDir?: string;
  /**
   * Who the container's processes run as, and every command run in it (exec, probes, hooks):
   * exactly this identity, or the container is not started. Absent: the runtime's own user.
   */
  user?: ProcessIdentity;
  /** Applied to the container and every command run in it, or the container is not started. */
  security?: LinuxSecurity;
  mounts?: Mount[];
  /** Log file path relative to the sandbox's logDirectory, e.g. `app/0.log`. */
  logPath: string;
  /** Opaque to the runtime; returned by inspect/list. */
  labels: Record<string, string>;
  /**
   * Container.stdin: the container's standard input stays open (reads wait; it never sees end
   * of input), as a runtime keeps a container's stdin open for attach. Default: no stdin.
   */
  stdin?: boolean;
  /**
   * Container.stdinOnce (with `stdin`): the input is empty until the first attach that types
   * into it, and closes (the container reads end of input) when that attach ends.
   */
  stdinOnce?: boolean;
  /**
   * Container.tty: the container runs on a pseudo-terminal where the runtime can give it one
   * (its stdin, stdout and stderr are the terminal; stdout carries all output, as the terminal
   * shows it; `ContainerInfo.terminal` says whether it got one). Its input is the terminal's
   * keyboard: without `stdin` nothing is ever typed (reads wait, they never see end of input);
   * with `stdinOnce`, the end of the first attach's input is typed as the terminal's EOF
   * character. A runtime without terminals runs the container as without `tty`.
   */
  tty?: boolean;
  /**
   * The container's resource limits (Container.resources.limits), enforced where the runtime
   * can and is asked to (the process runtime: control groups, ProcessRuntimeOptions.cgroups); a
   * container whose limits cannot be applied there is not started. A process killed for its
   * memory limit exits with reason `OOMKilled`.
   */
  limits?: ResourceLimits;
}

export interface ContainerInfo {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  labels: Record<string, string>;
  image: string;
  /** What the image resolved to (containerd: image digest; process runtime: the executable). */
  imageRef: string;
  state: ContainerState;
  /** Main process id when the runtime has one on this host. */
  pid?: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** Set when exited: the exit status, 128+N when killed by signal N (as containers report it). */
  exitCode?: number;
  /** The signal number that killed the main process, if any. */
  signal?: number;
  /** Runtime-supplied reason for an exit (e.g. `StartError`, `OOMKilled`); absent = ordinary exit. */
  reason?: string;
  message?: string;
  /** Absolute path of the container's log file. */
  logPath: string;
  /** The container runs on a pseudo-terminal the runtime gave it (ContainerConfig.tty): see attachTerminal. */
  terminal?: true;
}

export interface ContainerFilter {
  podUID?: string;
  sandboxId?: string;
  state?: ContainerState;
}

export type ContainerEventType = 'started' | 'exited' | 'removed';

export interface ContainerEvent {
  type: ContainerEventType;
  containerId: string;
  sandboxId: string;
  labels: Record<string, string>;
}

export interface ExecIO {
  stdin?: AsyncIterable<Buffer>;
  /** Where the command's output goes; their backpressure holds the command (never ended by exec). */
  stdout: import('node:stream').Writable;
  stderr: import('node:stream').Writable;
  signal?: AbortSignal;
  /**
   * Run the command on a pseudo-terminal (`kubectl exec -t`) if the runtime can. The terminal
   * starts at `size` (absent: 0×0, a size unknown to the programs) and follows the sizes
   * given to the listener registered with `onResize` where the runtime can apply them. With a
   * terminal, all output goes to `stdout` as the terminal shows it, and stdin bytes are typed
   * into it. A runtime without terminals runs the command as without `tty`.
   */
  tty?: ExecTerminal;
  /**
   * Called once when the command has been started, before any of its output: whether it runs
   * on a terminal. Runtimes with `execStream` call it (the agent answers its caller then).
   */
  started?(info: { terminal: boolean }): void;
}

/** The terminal asked for by an exec (ExecIO.tty). */
export interface ExecTerminal {
  size?: { cols: number; rows: number };
  /** Registers the runtime's listener for later sizes (at most one, called in order). */
  onResize?(listener: (size: { cols: number; rows: number }) => void): void;
}

/** An attach to a container that runs on a terminal (ContainerRuntime.attachTerminal). */
export interface TerminalAttachIO {
  /**
   * Bytes typed into the terminal (its line discipline echoes, edits lines, turns Ctrl-C into
   * SIGINT), as attachStdin writes input: the container must take input (`stdin`), and with
   * `stdinOnce` only its first attach types (its end is the terminal's end of input).
   */
  stdin?: AsyncIterable<Buffer>;
  /**
   * The terminal's output from the attach on, as it shows it (CR LF line ends, echo, escape
   * sequences), until the container exits. Never ended by the runtime. A caller that falls far
   * behind (its buffer past a few MiB) is cut off: the attach ends, the container runs on.
   */
  stdout: import('node:stream').Writable;
  signal?: AbortSignal;
  /** Registers the runtime's listener for the terminal sizes the attaching client reports (in order). */
  onResize?(listener: (size: { cols: number; rows: number }) => void): void;
  /** Called once the attach is open: output from now on reaches `stdout`, and input is typed. */
  onOpen?(): void;
}

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr combined, truncated to a few KiB. */
  output: string;
  timedOut: boolean;
}

export interface LogOptions {
  /** Prefix each line with its RFC3339Nano timestamp. */
  timestamps?: boolean;
  /** Only the last N lines. */
  tailLines?: number;
  /** Only lines at or after this time (ms since epoch). */
  sinceTime?: number;
  /** Stop after this many bytes of output. */
  limitBytes?: number;
}

export interface FollowOptions extends LogOptions {
  signal?: AbortSignal;
  /**
   * Called once, when what `options` selects of the log so far has been handed to `onData` and
   * anything written from now on will be: an attach opens the container's input only then, so
   * no output of what it types is missed.
   */
  onFollowing?: () => void;
}

export type RuntimeErrorCode =
  /** No such container or sandbox. */
  | 'NotFound'
  /** The container cannot be created as configured (e.g. no command and no known image). */
  | 'CreateContainerError'
  /** Operation not valid in the current state (e.g. removing a running container). */
  | 'InvalidState'
  /** Anything else the runtime could not do (I/O, exec failures). */
  | 'RuntimeError';

export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    /** True when retrying the same config can never succeed. */
    readonly permanent = false,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export function isRuntimeError(err: unknown, code?: RuntimeErrorCode): err is RuntimeError {
  return err instanceof RuntimeError && (code === undefined || err.code === code);
}

export interface ContainerRuntime {
  /** Scheme of container ids in the API (`process`, `containerd`, `fake`). */
  readonly type: string;

  /** Creates (or returns the existing) sandbox for a pod; returns its id. Idempotent per pod UID. */
  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  /** Force-stops every container of the sandbox (grace 0). */
  stopPodSandbox(sandboxId: string): Promise<void>;
  /** Stops and removes the sandbox and all its containers. NotFound is not an error. */
  removePodSandbox(sandboxId: string): Promise<void>;

  /**
   * Creates and starts a container. Resolves once it is running, or already exited when it
   * could not be started (state `exited`, exitCode 128, reason `StartError`). Rejects with
   * `CreateContainerError` when the config can never be run.
   */
  startContainer(sandboxId: string, sandbox: PodSandboxConfig, config: ContainerConfig): Promise<ContainerInfo>;
  /**
   * Stops a container: SIGTERM (or the runtime's equivalent) to everything it runs, SIGKILL to
   * whatever is left after `gracePeriodSeconds`. Resolves when it has exited. Stopping an exited
   * container is a no-op; NotFound rejects. Lifecycle hooks are not the runtime's: the pod worker
   * runs a preStop hook before it calls this, with what is left of the grace period.
   */
  stopContainer(id: string, gracePeriodSeconds: number): Promise<void>;
  /** Removes an exited container and its log file. Running → InvalidState. NotFound is not an error. */
  removeContainer(id: string): Promise<void>;
  inspectContainer(id: string): Promise<ContainerInfo | undefined>;
  /** Every container the runtime knows, including those found again after an agent restart. */
  listContainers(filter?: ContainerFilter): Promise<ContainerInfo[]>;
  /** Runs a command in the container's context (exec probes). Never rejects for a failing command. */
  execSync(id: string, command: string[], timeoutMs: number): Promise<ExecResult>;
  /**
   * Runs a command in the container's context with its streams (`kubectl exec`): stdout and
   * stderr as they come, stdin from `io.stdin` until it ends. Resolves with the exit code (126
   * when it cannot start, 128+n for a signal) once it exited and its output is written;
   * whatever it started is killed with it. `io.signal` kills it, and so does stopping the
   * container. `io.tty`: see ExecIO. Optional: a runtime without it cannot serve exec.
   */
  execStream?(id: string, command: string[], io: ExecIO): Promise<{ exitCode: number }>;
  /**
   * Writes `input` to the stdin of a running container whose config asked for stdin
   * (`kubectl attach -i`) until `input` ends, the container exits or `signal` aborts; the
   * container's stdin stays open after. Rejects with NotFound / InvalidState (not running, no
   * stdin) before `onOpen`, which is called once the input is open. Optional: a runtime without
   * it serves attach without -i only.
   */
  attachStdin?(id: string, input: AsyncIterable<Buffer>, signal?: AbortSignal, onOpen?: () => void): Promise<void>;
  /**
   * Attaches to a running container that runs on a terminal (`ContainerInfo.terminal`): its
   * output, live, into `io.stdout`, `io.stdin` typed into the terminal, sizes applied to it (see
   * TerminalAttachIO). Resolves when the container has exited and its output is delivered, when
   * `io.signal` aborts, or when the caller is cut off; the input ends earlier when `io.stdin`
   * ends (the output goes on). Rejects with NotFound / InvalidState (not running, no terminal,
   * no input to type into) before `io.onOpen`. Optional: a runtime without terminals has none.
   */
  attachTerminal?(id: string, io: TerminalAttachIO): Promise<void>;
  /** The container's log as `kubectl logs` prints it: the bytes the container wrote. */
  readLogs(id: string, options?: LogOptions): Promise<Buffer>;
  /**
   * Streams the log: everything selected by `options`, then new output as it is written, until
   * the container has exited and its log is drained, or the signal aborts.
   */
  followLogs(id: string, options: FollowOptions, onData: (chunk: Buffer) => void): Promise<void>;
  /** Subscribes to container lifecycle events; returns the unsubscribe function. */
  watch(listener: (event: ContainerEvent) => void): () => void;
  /**
   * Kills everything every running container runs (SIGKILL, no grace period, no hooks), before
   * it returns: for a process about to exit that was told to stop at once (a second Ctrl-C of
   * `up`). Nothing is awaited or reported; a later agent on the same state finds the containers
   * exited. Optional: a runtime whose containers cannot outlive the agent needs none.
   */
  killAllNow?(): void;
}
