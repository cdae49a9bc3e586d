package container

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/runtime/restart"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// Restart policies (--restart).
const (
	RestartNo            = "no"
	RestartAlways        = "always"
	RestartOnFailure     = "on-failure"
	RestartUnlessStopped = "unless-stopped"
)

// How --restart works. containerd's restart monitor
// (io.containerd.monitor.container.v1.restart) watches the containers that
// carry restart.StatusLabel: when the task of one whose desired status is
// "running" is missing or stopped, and restart.Reconcile agrees (policy,
// exit status, restart.CountLabel, restart.ExplicitlyStoppedLabel), it
// deletes the old task, increments the count and starts a new task whose
// output goes to restart.LogURILabel: lumper's logger URI, so a restarted
// task logs and is reaped like one started by `run -d`.
//
// lumper keeps the labels so that the monitor and lumper's reaper never
// fight:
//   - create records the policy (restart.PolicyLabel);
//   - a detached start clears the count and the explicit stop before the
//     task is created, and arms the monitor (status "running", log URI) once
//     it runs;
//   - the reaper (Reap) records each exit; it leaves the stopped task for
//     the monitor when the policy asks for a restart (the monitor needs the
//     stopped task to see its exit status), and otherwise deletes it and
//     disarms the monitor;
//   - stop, rm and a killing `kill` disarm the monitor (explicitly stopped,
//     no status label) before they signal, so the task stays down; start
//     arms it again.
//
// A container without the status label is not watched at all, so stopped
// containers cost the monitor nothing and do not fill containerd's log.

// ParseRestartPolicy checks a --restart value and returns it in canonical
// form: no, always, unless-stopped, on-failure or on-failure:N (N > 0).
func ParseRestartPolicy(s string) (string, error) {
	name, count, hasCount := strings.Cut(s, ":")
	switch name {
	case "", RestartNo, RestartAlways, RestartUnlessStopped:
		if hasCount {
			return "", api.Invalidf("invalid --restart %q: only on-failure takes a maximum retry count", s)
		}
		if name == "" {
			return RestartNo, nil
		}
		return name, nil
	case RestartOnFailure:
		if !hasCount {
			return name, nil
		}
		n, err := strconv.Atoi(count)
		if err != nil || n < 0 {
			return "", api.Invalidf("invalid --restart %q: the maximum retry count must be a number >= 0", s)
		}
		if n == 0 {
			return name, nil // no limit
		}
		return name + ":" + strconv.Itoa(n), nil
	}
	return "", api.Invalidf("invalid --restart %q: use no, on-failure[:MAX-RETRIES], always or unless-stopped", s)
}

// hasRestartPolicy reports whether a container's labels ask for restarts.
func hasRestartPolicy(labels map[string]string) bool {
	p := labels[restart.PolicyLabel]
	return p != "" && p != RestartNo
}

// RestartCount is how many times the restart monitor restarted a container
// since it was last started by lumper.
func RestartCount(labels map[string]string) int {
	n, _ := strconv.Atoi(labels[restart.CountLabel])
	return n
}

// prepareRestart readies a container with a restart policy for a new start
// by lumper: no restart counted yet, no explicit stop. It is done before the
// task exists, so that a task that dies at once is judged by the reaper with
// these labels.
func prepareRestart(ctx context.Context, ctr containerd.Container) (bool, error) {
	// The labels as loaded (or created) by this command will do: no extra
	// round trip on the path of every start.
	info, err := ctr.Info(ctx, containerd.WithoutRefreshedMetadata)
	if err != nil {
		return false, fmt.Errorf("reading labels of %s: %w", ctr.ID(), err)
	}
	labels := info.Labels
	if !hasRestartPolicy(labels) {
		return false, nil
	}
	if labels[restart.CountLabel] == "" && labels[restart.ExplicitlyStoppedLabel] == "" {
		return true, nil // a new container: nothing to reset
	}
	if _, err := ctr.SetLabels(ctx, map[string]string{
		restart.CountLabel:             "",
		restart.ExplicitlyStoppedLabel: "",
	}); err != nil {
		return false, fmt.Errorf("resetting restart count of %s: %w", ctr.ID(), err)
	}
	return true, nil
}

// armRestart hands a started container to the restart monitor. The task may
// already be gone: if the reaper deleted it (the policy did not ask for a
// restart), the monitor is disarmed again so that it does not watch a
// container that is done.
func armRestart(ctx context.Context, ctr containerd.Container, logURI string) error {
	if _, err := ctr.SetLabels(ctx, map[string]string{
		restart.StatusLabel:            string(containerd.Running),
		restart.LogURILabel:            logURI,
		restart.ExplicitlyStoppedLabel: "",
	}); err != nil {
		return fmt.Errorf("enabling restarts of %s: %w", ctr.ID(), err)
	}
	if _, err := ctr.Task(ctx, nil); errdefs.IsNotFound(err) {
		disarmRestart(ctx, ctr, false)
	}
	return nil
}

// disarmRestart stops the restart monitor from watching a container.
// explicit marks the stop as the user's, so that the reaper does not leave a
// dying task for the monitor either.
func disarmRestart(ctx context.Context, ctr containerd.Container, explicit bool) {
	labels := map[string]string{restart.StatusLabel: ""}
	if explicit {
		labels[restart.ExplicitlyStoppedLabel] = "true"
	}
	if _, err := ctr.SetLabels(ctx, labels); err != nil && !errdefs.IsNotFound(err) {
		log.G(ctx).WithError(err).Warn("disabling restarts")
	}
}

// disarmIfRestartable disarms the monitor before lumper stops a container
// on the user's behalf; it does nothing for containers without a policy.
func disarmIfRestartable(ctx context.Context, ctr containerd.Container, labels map[string]string) {
	if hasRestartPolicy(labels) || labels[restart.StatusLabel] != "" {
		disarmRestart(ctx, ctr, true)
	}
}

// monitorWillRestart reports whether the restart monitor will restart a
// container whose task ended with status st, given its current labels.
func monitorWillRestart(labels map[string]string, st containerd.ExitStatus) bool {
	if !hasRestartPolicy(labels) {
		return false
	}
	return restart.Reconcile(containerd.Status{Status: containerd.Stopped, ExitStatus: st.ExitCode()}, labels)
}

// restartLabels adds the restart policy and the log rotation settings to the
// labels of a new container.
func restartLabels(labels map[string]string, policy string, lo LogOptions) {
	if policy != "" && policy != RestartNo {
		labels[restart.PolicyLabel] = policy
	}
	if lo.MaxSize != 0 {
		labels[client.LabelLogMaxSize] = strconv.FormatInt(lo.MaxSize, 10)
	}
	if lo.MaxFiles != 0 {
		labels[client.LabelLogMaxFiles] = strconv.Itoa(lo.MaxFiles)
	}
}

// logOptionsFromLabels reads back the log rotation settings of a container.
func logOptionsFromLabels(labels map[string]string) LogOptions {
	var lo LogOptions
	lo.MaxSize, _ = strconv.ParseInt(labels[client.LabelLogMaxSize], 10, 64)
	lo.MaxFiles, _ = strconv.Atoi(labels[client.LabelLogMaxFiles])
	lo.Driver = labels[client.LabelLogDriver]
	return lo.withDefaults()
}

// reapOrLeave deals with a detached task that has stopped with status st:
// if the restart monitor is to restart it, the exit is recorded and the
// stopped task left for the monitor (it needs the task to see the exit
// status); otherwise the task is reaped, and the monitor disarmed so that it
// stops watching the container.
func reapOrLeave(ctx context.Context, c *client.Client, ctr containerd.Container, task containerd.Task, st containerd.ExitStatus) error {
	labels, err := ctr.Labels(ctx)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil // removed meanwhile
		}
		return fmt.Errorf("reading labels of %s: %w", ctr.ID(), err)
	}
	if monitorWillRestart(labels, st) {
		recordExit(ctx, ctr, st.ExitCode(), st.ExitTime(), oomKilled(ctx, task))
		return nil
	}
	if err := reapTask(ctx, c, ctr, task); err != nil {
		return err
	}
	if labels[restart.StatusLabel] != "" {
		disarmRestart(ctx, ctr, false)
	}
	return nil
}

// restartInfo returns a container's restart policy ("no" when it has none)
// and restart count, for list and inspect.
func restartInfo(labels map[string]string) (string, int) {
	if !hasRestartPolicy(labels) {
		return RestartNo, 0
	}
	return labels[restart.PolicyLabel], RestartCount(labels)
}
