// Package jobstandin stands in, in tests, for Kubernetes' Job controller and the kubelet on a
// control plane that has neither (kube-apiserver and etcd, with kube-controller-manager
// running its namespace and garbage collector controllers only): for every batch/v1 Job in
// any namespace it runs the Job's one container as a process on this machine, and writes the
// Job's status as the Job controller of Kubernetes 1.37 does. It lives under test/ and is
// never part of a shipped binary; the operator knows nothing of it, and it nothing of the
// operator.
//
// A Job's container runs as its pod would, as far as its process can tell:
//
//   - The command line is the container's command and args, with $(VAR) references
//     expanded against its variables as the kubelet expands them ($$ a literal $). A
//     container without a command is not run: its image's entrypoint is not known here.
//   - The image is resolved by Options.Images to a directory of programs that stand in for
//     the image's, put first on PATH, the rest of PATH being this machine's. An image it
//     cannot resolve keeps the pod from starting, as an image that cannot be pulled: the
//     Job stays active and never finishes.
//   - The environment is the container's envFrom and env, in the kubelet's order: literal
//     values ($(VAR) expanded against the variables before them), secretKeyRef and
//     configMapKeyRef read from the Job's namespace, fieldRef metadata.name (the pod's name,
//     <job>-<5 characters>) and metadata.namespace; PATH, HOME (a directory of the attempt's
//     own) and HOSTNAME (the pod's name) are the stand-in's. Nothing of the test process's
//     environment leaks in. Other fieldRefs and resourceFieldRef are not supported: such a
//     Job is not run. A Secret, ConfigMap or key that is missing keeps the pod from starting
//     (the kubelet's CreateContainerConfigError), unless the reference is optional, which
//     leaves the variable unset; it is tried again every quarter second.
//   - Volumes: a persistentVolumeClaim is the directory VolumeDir(<namespace>, <claim>)
//     (<Dir>/volumes/...), shared by every Job that mounts the claim and kept until Stop
//     removes a temporary Dir; the claim must exist and not be being deleted, else the pod
//     is not scheduled and the Job waits (an existing claim counts as bound: no volume is
//     provisioned). A secret or configMap is a directory of the attempt's own holding its
//     keys, or its items, as files (defaultMode or the item's mode, 0644 by default); a
//     missing object or key holds the pod as for the environment, unless optional. An
//     emptyDir is an empty directory of the attempt's own. Other volume types are not
//     supported: such a Job is not run. subPath is honoured; readOnly is not enforced.
//   - Every occurrence of a mount path, standing as a path of its own (see rewrite), in the
//     command line, the literal values of the environment and the working directory is
//     rewritten to its local directory, so "/dumps/x" reaches the claim's directory. Values
//     read from Secrets and ConfigMaps are passed as they are. A working directory outside
//     every mount is replaced by a directory of the attempt's own.
//   - The process runs as the test's user, in a process group of its own that is killed
//     whole when the main process ends, when the Job is deleted or suspended, when its
//     activeDeadlineSeconds passes, and on Stop. Its standard output and error go to a log
//     file per attempt (<Dir>/logs/<namespace>/<job>/<n>.log), which Logs and Attempts read.
//
// One attempt runs at a time per Job. An attempt that exits non-zero, is killed, or whose
// command cannot be found (exit code 128, as a container that cannot start) is failed, and
// after a short pause (the Job controller's backoff, ten seconds doubling, is not
// reproduced) the next attempt runs, until backoffLimit+1 attempts failed (backoffLimit 6
// when unset). activeDeadlineSeconds is counted from status.startTime and fails the Job with
// DeadlineExceeded. A Job with spec.suspend true is not run (its running attempt is killed
// and not counted; no Suspended condition is written), a finished Job (Complete or Failed)
// is never run again, and a Job of spec.managedBy other than the Job controller is left to
// its controller. A Job with more than one container, init containers, completions or
// parallelism other than 1, or Indexed completion is not run, which the log and Waiting
// say.
//
// The status is written through the status subresource, one step at a time, as the Job
// controller writes it for a Job of one pod without a pod failure policy:
//
//  1. the pod is made: startTime (the first time), active 1, ready 0, terminating 0,
//     uncountedTerminatedPods {}; the Job stays so while its pod cannot start;
//  2. its container runs: ready 1;
//  3. it exited 0: active 0, ready 0, succeeded 1, condition SuccessCriteriaMet
//     (CompletionsReached, "Reached expected number of succeeded pods"); then
//  4. condition Complete (the same reason and message) and completionTime, its time;
//
// or, for a failed attempt, 3. active 0, ready 0, failed+1, and back to 1 for the next;
// after the last one, 4. condition FailureTarget (BackoffLimitExceeded, "Job has reached the
// specified backoff limit", or DeadlineExceeded, "Job was active longer than specified
// deadline"), then 5. condition Failed with the same reason and message, without
// completionTime. Each condition is True with lastProbeTime and lastTransitionTime its time.
// A watcher thus sees what it sees of the real controller: SuccessCriteriaMet before
// Complete, FailureTarget before Failed. No pod's UID passes through
// uncountedTerminatedPods, as no pod exists.
//
// kube-apiserver 1.37 validates these writes strictly (the rules that came with
// spec.managedBy, always on since 1.35), as TestApiserverJobStatusRules records: Complete needs SuccessCriteriaMet and a
// completionTime, and completionTime needs Complete; Failed needs FailureTarget; a finished
// Job needs a startTime and no active pod; ready never exceeds active; startTime is
// immutable once set on a Job that is not suspended; the failed and succeeded counters never
// decrease; SuccessCriteriaMet and the terminal conditions are never removed, and
// SuccessCriteriaMet never sits beside FailureTarget or Failed. It accepts SuccessCriteriaMet
// and Complete in one write; the stand-in writes them in two, as the Job controller does.
//
// A restart of the stand-in (Stop, then Start on the same Dir) picks every Job up where its
// status says it is: a Job that was active runs a new attempt (the interrupted one is
// counted neither failed nor succeeded; its attempt numbers and logs continue), a Job with
// SuccessCriteriaMet or FailureTarget gets its terminal condition, and a finished Job is
// left alone.
//
// What stays untested against the stand-in, compared with a real cluster:
//
//   - Images: nothing is pulled or unpacked; the programs of Options.Images (or this
//     machine's) run with this machine's file system, libraries and users, and an image's
//     own files, entrypoint, environment and working directory do not exist.
//   - The kubelet and the container runtime: no Pod object is created, so nothing that
//     reads pods (kubectl logs, the pods' events, the Job's pod selector, the
//     batch.kubernetes.io/job-tracking finalizer, pod deletion and the garbage collector of
//     pods) can be tested; no readiness, liveness or startup probes, lifecycle hooks,
//     termination messages or terminationGracePeriodSeconds (processes are killed at once).
//   - Isolation and limits: resources (requests, limits, OOM kills), securityContext
//     (runAsUser, readOnlyRootFilesystem, capabilities), the ServiceAccount and its token,
//     network policies, DNS (the process resolves names as this machine does), service
//     environment variables, hostNetwork and scheduling (node selectors, affinity,
//     tolerations, priority, the scheduler's capacity).
//   - Storage: no PersistentVolume is provisioned or bound, storage class, capacity and
//     access modes are not read, and a claim's directory outlives the claim.
//   - The Job controller's other work: the backoff delays, podFailurePolicy, successPolicy,
//     backoffLimitPerIndex, podReplacementPolicy, ttlSecondsAfterFinished (a finished Job is
//     never deleted), the Suspended condition, the Events it records, and restartPolicy
//     OnFailure (run as Never: every failure is a new attempt).
package jobstandin
