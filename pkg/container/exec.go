package container

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/containerd/console"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cap"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/errdefs"
	"github.com/containerd/log"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/lumper/lumper/pkg/api"
	"github.com/lumper/lumper/pkg/client"
)

// ExecOptions describe a process to run in a running container.
type ExecOptions struct {
	Args       []string
	Env        []string // KEY=VALUE over the container's environment
	Workdir    string
	User       string // UID[:GID] or name[:group], resolved in the container
	Privileged bool
	TTY        bool
	Detach     bool
	Stdio      Stdio
	Console    console.Console // the user's terminal with TTY; nil otherwise
}

// Exec runs a process in the container ref and returns its exit status as an
// *api.StatusError when it is not 0. The exec ID is removed from containerd
// when the process ends; with Detach, Exec returns the container and exec IDs
// at once and the caller arranges for ReapExec to run.
func Exec(ctx context.Context, c *client.Client, ref string, o ExecOptions) (containerID, execID string, _ error) {
	rec, err := c.Container(ctx, ref)
	if err != nil {
		return "", "", err
	}
	ctr, err := c.LoadContainer(ctx, rec.ID)
	if err != nil {
		return "", "", fmt.Errorf("loading container %s: %w", ref, err)
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		if errdefs.IsNotFound(err) {
			return "", "", api.Invalidf("container %s is not running: start it first", ref)
		}
		return "", "", fmt.Errorf("loading task of %s: %w", ref, err)
	}
	st, err := task.Status(ctx)
	if err != nil {
		return "", "", fmt.Errorf("reading status of %s: %w", ref, err)
	}
	if st.Status != containerd.Running {
		return "", "", api.Invalidf("container %s is %s, not running: start it first", ref, st.Status)
	}
	spec, err := ctr.Spec(ctx)
	if err != nil {
		return "", "", fmt.Errorf("reading spec of %s: %w", ref, err)
	}
	pspec := *spec.Process
	pspec.Args = o.Args
	pspec.Terminal = o.TTY
	pspec.Env = append(append([]string{}, spec.Process.Env...), o.Env...)
	pspec.Env = dedupeEnv(pspec.Env)
	if o.Workdir != "" {
		pspec.Cwd = o.Workdir
	}
	if o.User != "" {
		user, err := resolveUser(int(task.Pid()), o.User)
		if err != nil {
			return "", "", err
		}
		pspec.User = user
	}
	if o.Privileged {
		caps := cap.Known()
		pspec.Capabilities = &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps}
	}

	execID = "exec-" + client.NewID()[:24]
	ctx = context.WithoutCancel(ctx)
	var creator cio.Creator
	var stdin *stdinCloser
	if o.Detach {
		creator = cio.NullIO
	} else {
		var in = o.Stdio.In
		if in != nil {
			stdin = &stdinCloser{r: in}
			in = stdin
		}
		opts := []cio.Opt{cio.WithStreams(in, o.Stdio.Out, o.Stdio.Err)}
		if o.TTY {
			opts = append(opts, cio.WithTerminal)
		}
		creator = cio.NewCreator(opts...)
	}
	proc, err := task.Exec(ctx, execID, &pspec, creator)
	if err != nil {
		return "", "", startError(err)
	}
	deleteProc := func() {
		if _, err := proc.Delete(ctx, containerd.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
			log.G(ctx).WithError(err).Warn("deleting exec process")
		}
	}
	if stdin != nil {
		stdin.setCloser(func() { _ = proc.CloseIO(ctx, containerd.WithStdinCloser) })
	}
	statusC, err := proc.Wait(ctx)
	if err != nil {
		deleteProc()
		return "", "", fmt.Errorf("waiting for exec process: %w", err)
	}
	if o.TTY && o.Console != nil {
		if err := o.Console.SetRaw(); err != nil {
			deleteProc()
			return "", "", fmt.Errorf("setting terminal to raw mode: %w", err)
		}
		defer o.Console.Reset()
	}
	if err := proc.Start(ctx); err != nil {
		deleteProc()
		return "", "", startError(err)
	}
	if o.Detach {
		return rec.ID, execID, nil
	}
	stop := forwardSignals(ctx, proc, o.TTY, o.Console)
	status := rewait(ctx, proc, <-statusC)
	stop()
	code, _, err := status.Result()
	if err == nil {
		drainOutput(proc.IO())
	}
	deleteProc()
	if err != nil {
		return "", "", fmt.Errorf("waiting for exec process: %w", err)
	}
	if code != 0 {
		return "", "", &api.StatusError{Code: int(code)}
	}
	return rec.ID, execID, nil
}

func dedupeEnv(env []string) []string {
	idx := map[string]int{}
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := idx[k]; ok {
			out[i] = kv
			continue
		}
		idx[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// resolveUser turns UID[:GID] or name[:group] into a spec user, reading the
// container's /etc/passwd and /etc/group through its init's root.
func resolveUser(pid int, s string) (specs.User, error) {
	u, g, hasGroup := strings.Cut(s, ":")
	root := "/proc/" + strconv.Itoa(pid) + "/root"
	var user specs.User
	uid, err := strconv.ParseUint(u, 10, 32)
	if err == nil {
		user.UID = uint32(uid)
		if e, ok := lookupDB(root+"/etc/passwd", u, 2); ok {
			gid, _ := strconv.ParseUint(e[3], 10, 32)
			user.GID = uint32(gid)
		}
	} else {
		e, ok := lookupDB(root+"/etc/passwd", u, 0)
		if !ok {
			return user, api.Invalidf("invalid --user %q: no user %q in the container's /etc/passwd", s, u)
		}
		uid, _ := strconv.ParseUint(e[2], 10, 32)
		gid, _ := strconv.ParseUint(e[3], 10, 32)
		user.UID, user.GID = uint32(uid), uint32(gid)
	}
	if hasGroup {
		if gid, err := strconv.ParseUint(g, 10, 32); err == nil {
			user.GID = uint32(gid)
		} else {
			e, ok := lookupDB(root+"/etc/group", g, 0)
			if !ok {
				return user, api.Invalidf("invalid --user %q: no group %q in the container's /etc/group", s, g)
			}
			gid, _ := strconv.ParseUint(e[2], 10, 32)
			user.GID = uint32(gid)
		}
	}
	return user, nil
}

// lookupDB finds the line of a passwd/group file whose field col equals key.
func lookupDB(path, key string, col int) ([]string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) >= 4 && fields[col] == key {
			return fields, true
		}
	}
	return nil, false
}

// ReapExec waits for a detached exec process to end and removes it from
// containerd.
func ReapExec(ctx context.Context, c *client.Client, containerID, execID string) error {
	ctr, err := c.LoadContainer(ctx, containerID)
	if err != nil {
		return fmt.Errorf("loading container %s: %w", containerID, err)
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		return fmt.Errorf("loading task of %s: %w", containerID, err)
	}
	proc, err := task.LoadProcess(ctx, execID, nil)
	if err != nil {
		return fmt.Errorf("loading exec process %s: %w", execID, err)
	}
	statusC, err := proc.Wait(ctx)
	if err != nil {
		return fmt.Errorf("waiting for exec process %s: %w", execID, err)
	}
	<-statusC
	if _, err := proc.Delete(ctx); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("deleting exec process %s: %w", execID, err)
	}
	return nil
}
