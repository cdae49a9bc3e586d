package container

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/log"
	"golang.org/x/sys/unix"

	"github.com/lumper/lumper/pkg/client"
)

// The stdin of a container started detached with -i (`run -d -i`, `create
// -i` + `start`) is a FIFO in its directory, which `attach` writes to:
//
//   - with a TTY, the shim copies the FIFO into the console (containerd's
//     CopyConsole does so whatever the stdout URI), and the output goes to
//     lumper-logger through the usual binary:// URI;
//   - without one, the shim only copies stdin for FIFO stdio, not for a
//     logging binary, so lumper starts lumper-logger itself (--fifo-io) on
//     stdout and stderr FIFOs, and the task gets three FIFO paths.
//
// In both cases the logger holds the stdin FIFO open for writing (O_RDWR)
// while the init runs, so the container never reads EOF merely because no
// attach is connected, as with Docker's -i. The FIFOs go with the container's
// directory (rm). A task the restart monitor restarts gets the logger URI
// only: its stdin is /dev/null.
const (
	stdinFIFO  = "stdin"
	stdoutFIFO = "stdout.fifo"
	stderrFIFO = "stderr.fifo"
	// initPidFile is where lumper writes the init's pid for a logger it
	// started itself (the shim writes its own in the bundle).
	initPidFile = "init.pid"
	// loggerReadyWait bounds the wait for a logger lumper starts: it may
	// set up a missing network namespace first (at most a minute).
	loggerReadyWait = 70 * time.Second
)

// StdinPath is the stdin FIFO of container id.
func StdinPath(c *client.Client, id string) string {
	return filepath.Join(ContainerDir(c, id), stdinFIFO)
}

// openStdinIO is the IO of a detached task whose container keeps stdin open.
type openStdinIO struct {
	creator cio.Creator
	logger  *os.Process // started by lumper (no TTY); nil with a TTY
	pidFile string
}

// detachedStdin returns the IO of a detached start of ctr when it was
// created with -i, or nil. logURI is the logger URI detachedIO built.
func detachedStdin(ctx context.Context, c *client.Client, ctr containerd.Container, tty bool, logURI string) (*openStdinIO, error) {
	labels, err := ctr.Labels(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading labels of %s: %w", ctr.ID(), err)
	}
	if labels[client.LabelOpenStdin] != "true" {
		return nil, nil
	}
	dir := ContainerDir(c, ctr.ID())
	stdin := filepath.Join(dir, stdinFIFO)
	if err := mkfifo(stdin, false); err != nil {
		return nil, err
	}
	u, err := url.Parse(logURI)
	if err != nil {
		return nil, fmt.Errorf("parsing logger URI: %w", err)
	}
	if tty {
		q := u.Query()
		q.Set("--stdin", stdin)
		u.RawQuery = q.Encode()
		cfg := cio.Config{Terminal: true, Stdin: stdin, Stdout: u.String(), Stderr: u.String()}
		return &openStdinIO{creator: fixedIO(cfg)}, nil
	}
	out, errp := filepath.Join(dir, stdoutFIFO), filepath.Join(dir, stderrFIFO)
	pidFile := filepath.Join(dir, initPidFile)
	if err := os.Remove(pidFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("removing stale pid file: %w", err)
	}
	for _, p := range []string{out, errp} {
		if err := mkfifo(p, true); err != nil {
			return nil, err
		}
	}
	args := []string{"--stdin", stdin, "--fifo-io", "true", "--pid-file", pidFile}
	q := u.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) {
		for _, v := range q[k] {
			args = append(args, k, v)
		}
	}
	p, err := startLogger(u.Path, args, dir, ctr.ID(), c.Namespace, out, errp)
	if err != nil {
		return nil, err
	}
	cfg := cio.Config{Stdin: stdin, Stdout: out, Stderr: errp}
	return &openStdinIO{creator: fixedIO(cfg), logger: p, pidFile: pidFile}, nil
}

// started tells a logger lumper started the pid of the task's init.
func (s *openStdinIO) started(pid uint32) error {
	if s == nil || s.logger == nil {
		return nil
	}
	tmp := s.pidFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatUint(uint64(pid), 10)), 0o600); err != nil {
		return fmt.Errorf("writing init pid for the logger: %w", err)
	}
	if err := os.Rename(tmp, s.pidFile); err != nil {
		return fmt.Errorf("writing init pid for the logger: %w", err)
	}
	return nil
}

// abort stops a logger lumper started for a task that was not created.
func (s *openStdinIO) abort(ctx context.Context) {
	if s == nil || s.logger == nil {
		return
	}
	if err := s.logger.Signal(syscall.SIGTERM); err != nil {
		log.G(ctx).WithError(err).Debug("stopping logger of a failed start")
	}
}

// startLogger starts lumper-logger as the shim would (fd 3 and 4 the output
// streams, fd 5 the ready pipe, the container's directory as working
// directory), in a session of its own so that it outlives lumper, and waits
// until it is ready.
func startLogger(path string, args []string, dir, id, ns, out, errp string) (*os.Process, error) {
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for _, p := range []string{out, errp} {
		// Non-blocking: no writer yet. A FIFO opened before its first
		// writer reports no hang-up until a writer has come and gone.
		f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", p, err)
		}
		files = append(files, f)
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("creating logger ready pipe: %w", err)
	}
	files = append(files, readyR, readyW)
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = []string{"CONTAINER_ID=" + id, "CONTAINER_NAMESPACE=" + ns}
	cmd.ExtraFiles = []*os.File{files[0], files[1], readyW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", LoggerBinary, err)
	}
	readyW.Close()
	files = slices.Delete(files, 3, 4)
	_ = readyR.SetReadDeadline(time.Now().Add(loggerReadyWait))
	b := make([]byte, 1)
	if n, err := readyR.Read(b); n != 1 {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		return nil, fmt.Errorf("%s did not get ready: %v", LoggerBinary, err)
	}
	// Not waited for: it outlives lumper, whose exit hands it to init.
	return cmd.Process, nil
}

// mkfifo makes a FIFO at path; an existing one is kept unless fresh is set.
func mkfifo(path string, fresh bool) error {
	if st, err := os.Lstat(path); err == nil {
		if !fresh && st.Mode()&os.ModeNamedPipe != 0 {
			return nil
		}
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("removing %s: %w", path, err)
		}
	}
	if err := unix.Mkfifo(path, 0o600); err != nil {
		return fmt.Errorf("creating FIFO %s: %w", path, err)
	}
	return nil
}

// fixedIO is a cio.Creator for a task whose stdio the shim opens by path:
// nothing is copied in lumper's process.
func fixedIO(cfg cio.Config) cio.Creator {
	return func(string) (cio.IO, error) { return &pathIO{cfg: cfg}, nil }
}

type pathIO struct{ cfg cio.Config }

func (p *pathIO) Config() cio.Config { return p.cfg }
func (p *pathIO) Cancel()            {}
func (p *pathIO) Wait()              {}
func (p *pathIO) Close() error       { return nil }

// keepsStdin reports whether a container's detached starts give it a stdin
// FIFO: created with -i, and with a log that attach can follow.
func keepsStdin(labels map[string]string) bool {
	return labels[client.LabelOpenStdin] == "true" && labels[client.LabelLogDriver] != LogDriverNone
}

// startAttached is `start -a [-i]` of a container created with -i: started
// detached (its stdin is the FIFO, kept open), then attached as by `attach`
// from just before the start, so that, as with Docker, its stdin outlives
// the end of lumper's input and the detach keys leave it running (exit 0).
func startAttached(ctx context.Context, c *client.Client, ctr containerd.Container, tty bool, lo LogOptions, o StartOptions) error {
	since := time.Now()
	if err := StartDetached(ctx, c, ctr, tty, lo, false); err != nil {
		return err
	}
	ao := AttachRunningOptions{SigProxy: true, Stdin: o.Stdio.In, Console: o.Console, DetachKeys: o.DetachKeys, Since: since}
	if ao.DetachKeys == nil {
		ao.DetachKeys, _ = ParseDetachKeys(DefaultDetachKeys)
	}
	err := Attach(ctx, c, ctr.ID(), ao, o.Stdio.Out, o.Stdio.Err)
	if errors.Is(err, ErrDetached) {
		return nil
	}
	return err
}
