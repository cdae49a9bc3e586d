package client

// Label keys under which lumper keeps its state on containerd objects. There
// is no second database: a container's name, command and last exit live here.
const (
	labelPrefix = "lumper.io/"
	// LabelName is the container's unique (per namespace) name.
	LabelName = labelPrefix + "name"
	// LabelCommand is the container's command line, for `list`.
	LabelCommand = labelPrefix + "command"
	// LabelImage is the image reference the user asked for.
	LabelImage = labelPrefix + "image"
	// LabelExitCode is the exit status of the last task, once it is deleted.
	LabelExitCode = labelPrefix + "exit-code"
	// LabelFinishedAt is when the last task exited (RFC 3339, UTC).
	LabelFinishedAt = labelPrefix + "finished-at"
	// LabelOOMKilled is "true" when the kernel OOM-killed the last task.
	LabelOOMKilled = labelPrefix + "oom-killed"
	// LabelStartedAt is when the last task was started (RFC 3339, UTC).
	LabelStartedAt = labelPrefix + "started-at"
	// LabelLogPath is the container's log file.
	LabelLogPath = labelPrefix + "log-path"
	// LabelPrivileged is "true" for a container run with --privileged.
	LabelPrivileged = labelPrefix + "privileged"
	// LabelTTY is "true" when the container has a terminal.
	LabelTTY = labelPrefix + "tty"
	// LabelLogMaxSize and LabelLogMaxFiles are the --log-opt rotation
	// settings, for starts after the first (`start`, the restart monitor).
	LabelLogMaxSize  = labelPrefix + "log-max-size"
	LabelLogMaxFiles = labelPrefix + "log-max-file"

	// LabelLeaseOperation names the operation an operation lease is for.
	LabelLeaseOperation = labelPrefix + "operation"
	// LabelLeaseContainer links a name lease to its container ID.
	LabelLeaseContainer = labelPrefix + "container"
	// LabelLeaseOwner records the process that reserved a name
	// ("<pid>:<start time in clock ticks>"), to tell a live reservation from a
	// crashed one.
	LabelLeaseOwner = labelPrefix + "owner"
)
