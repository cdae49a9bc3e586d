// Command lumper-logger captures the output of a detached container into its
// log file (see package github.com/lumper/lumper/pkg/logs for the format).
//
// containerd's shim starts it for a task whose stdout URI is
// binary-v2:///path/to/lumper-logger?--log-path=...&... (see logs.BinaryURI),
// with:
//
//   - the query parameters as "--key value" argument pairs, in random order;
//   - the environment CONTAINER_ID and CONTAINER_NAMESPACE, and nothing else;
//   - the task's bundle directory as working directory;
//   - fd 3 the read end of the container's stdout pipe, fd 4 that of its
//     stderr pipe (unused for a TTY, whose output all comes on fd 3), fd 5 a
//     pipe on which to write one byte and close once ready.
//
// Flags (also accepted as --key=value):
//
//	--log-path PATH      log file (required)
//	--max-size SIZE      rotate at SIZE bytes (10m, 512k or a byte count;
//	                     0 or less: never)
//	--max-file N         files kept, including the current one
//	--pid-file PATH      where the shim writes the container's init pid
//	                     (default init.pid in the working directory)
//	--log-driver none    keep nothing: drain the pipes only (the log file is
//	                     not written; its directory holds logger.pid)
//	--on-exit PATH       program run when the container's init exits
//	--on-exit-args ARGS  its arguments, separated by the byte 0x1f
//	                     (logs.OnExitArgsSep), since a URI query cannot
//	                     repeat a key reliably
//	--netns PATH         the network namespace the task joins; when nothing
//	                     is mounted there as the logger starts (after a host
//	                     reboot cleared /run), it runs the --on-exit program
//	                     with --on-netns-args and waits for it (at most
//	                     netnsWait) before signalling ready, so that the
//	                     namespace exists when the runtime creates the task
//	--on-netns-args ARGS those arguments, separated like --on-exit-args
//	--health-interval D  a health check's interval (Go duration): while the
//	                     container's init runs, the logger runs the
//	                     --on-exit program with --on-health-args every D
//	                     (the first D after the init is known), one at a
//	                     time: lumper's probe, which records the result
//	--on-health-args ARGS those arguments, separated like --on-exit-args
//	--stdin PATH         the container's stdin FIFO (run -d -i): the logger
//	                     holds it open for writing (O_RDWR) while the init
//	                     runs, so the container never reads EOF between two
//	                     `lumper attach`es; closed when the init exits
//	--fifo-io true       started by lumper rather than the shim (the stdin
//	                     of a non-TTY container needs the shim's FIFO copy):
//	                     fd 3 and 4 are the read ends of stdout and stderr
//	                     FIFOs, --pid-file is written by lumper once the task
//	                     exists, and EOF on stdout (the shim's copy ending
//	                     with the container) does not end the logger before
//	                     it has seen the init and run the exit program
//
// The shim keeps the write ends of the pipes open until the task is deleted,
// so the end of the output is not signalled by EOF. Instead the logger waits
// for the pid file to appear and watches the init process with a pidfd. When
// it exits, the logger reads what is left in the pipes, writes a pending
// incomplete line as a P record, syncs the log and starts the --on-exit
// program in a new session with its stdio on /dev/null, the environment
// CONTAINER_ID, CONTAINER_NAMESPACE and a default PATH (lumper uses it to
// record the exit status and delete the task, so that no shim lingers). The
// logger keeps copying until the shim stops it with SIGTERM when the task is
// deleted, or until its pipes are closed (EOF; for a TTY the shim closes
// stdout when the container exits), then reads what is left and exits 0.
//
// The logger watches the container's init process, so it serves the task's
// init; exec processes should not use it.
//
// The logger records its pid in logs.LoggerPidFile beside the log while it
// runs (removed when it ends normally), so that lumper can tell a logger
// that died, and lowers its own OOM score (oom_score_adj -998).
//
// The logger only imports the standard library, golang.org/x/sys and
// pkg/logs, to stay small in memory: one runs per detached container.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lumper/lumper/pkg/logs"
)

const (
	fdStdout = 3
	fdStderr = 4
	fdReady  = 5

	// readBufSize is the size of each read from a pipe.
	readBufSize = 64 * 1024
	// readsPerWakeup bounds the reads from one pipe before the logger polls
	// again, so that a busy stream cannot delay a signal or the other stream.
	readsPerWakeup = 16
	// pidPollInterval is how often the logger looks for the pid file.
	pidPollInterval = 100 * time.Millisecond
	// exitWait bounds the wait for the container's exit after EOF on stdout.
	exitWait = 5 * time.Second
	// fifoPidWait bounds a --fifo-io logger's wait for the pid file: lumper
	// writes it right after creating the task, so none by then means that
	// lumper died before (the task, if any, is reaped by the next start).
	fifoPidWait = 2 * time.Minute
	// drainTimeout bounds the final reads, in case some process outside
	// the container's pid namespace keeps writing.
	drainTimeout = 5 * time.Second

	// netnsWait bounds the wait for the program that sets up a missing
	// network namespace.
	netnsWait = 60 * time.Second

	// oomScoreAdj makes the logger an unlikely victim of the OOM killer
	// (-1000 would exempt it; the shim itself runs at containerd's score).
	oomScoreAdj = "-998"

	hookPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

type config struct {
	logPath    string
	maxSize    int64
	maxFiles   int
	pidFile    string
	onExit     string
	onExitArgs []string
	netns      string
	netnsArgs  []string
	discard    bool // --log-driver none: drain the pipes, keep nothing

	healthInterval time.Duration
	healthArgs     []string

	stdin  string // stdin FIFO held open while the init runs
	fifoIO bool   // started by lumper with FIFOs (see --fifo-io)
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	// One container's output does not need more than one thread running Go
	// code, and a small heap goal keeps the resident size low.
	runtime.GOMAXPROCS(1)
	debug.SetGCPercent(50)

	cfg, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lumper-logger: %v\n", err)
		return 2
	}
	// The logger is small and one container's output depends on it: let the
	// kernel's OOM killer choose something else first.
	_ = os.WriteFile("/proc/self/oom_score_adj", []byte(oomScoreAdj), 0)
	l, err := newLogger(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lumper-logger: %v\n", err)
		return 1
	}
	// While this file names a live logger, lumper leaves the task's exit to
	// it; a file left by a logger that died tells lumper to reap the task
	// itself and to report the output as no longer captured.
	forget, err := logs.RecordLogger(cfg.logPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lumper-logger: recording pid: %v\n", err)
	}
	if err := l.run(); err != nil {
		fmt.Fprintf(os.Stderr, "lumper-logger: %v\n", err)
		return 1
	}
	forget()
	return 0
}

// defaultPidFile is the init pid file of this logger's container. The shim
// starts the logger in its own working directory: the bundle of the
// container the shim was started for. With shim groups that is another
// container's bundle, so the file is found in the sibling bundle named by
// CONTAINER_ID (bundles are <state>/<namespace>/<container id>).
func defaultPidFile() string {
	id := os.Getenv("CONTAINER_ID")
	if id == "" || strings.ContainsAny(id, "/\x00") || id == "." || id == ".." {
		return "init.pid"
	}
	wd, err := os.Getwd()
	if err != nil || filepath.Base(wd) == id {
		return "init.pid" // the shim's own bundle
	}
	own := filepath.Join(filepath.Dir(wd), id)
	if fi, err := os.Stat(own); err != nil || !fi.IsDir() {
		return "init.pid" // not a bundle layout: the working directory
	}
	return filepath.Join(own, "init.pid")
}

// parseArgs parses "--key value" pairs (the shim's rendering of the URI
// query) and "--key=value" arguments.
func parseArgs(args []string) (config, error) {
	cfg := config{pidFile: defaultPidFile()}
	var sizeOpts []string
	for i := 0; i < len(args); i++ {
		key, val, hasVal := strings.Cut(args[i], "=")
		if !strings.HasPrefix(key, "--") {
			return cfg, fmt.Errorf("unexpected argument %q", args[i])
		}
		if !hasVal {
			if i+1 >= len(args) {
				return cfg, fmt.Errorf("flag %s needs a value", key)
			}
			i++
			val = args[i]
		}
		switch key {
		case "--log-path":
			cfg.logPath = val
		case "--max-size":
			if n, err := strconv.ParseInt(val, 10, 64); err == nil && n <= 0 {
				cfg.maxSize = -1
				continue
			}
			sizeOpts = append(sizeOpts, "max-size="+val)
		case "--max-file":
			sizeOpts = append(sizeOpts, "max-file="+val)
		case "--pid-file":
			cfg.pidFile = val
		case "--on-exit":
			cfg.onExit = val
		case "--on-exit-args":
			cfg.onExitArgs = strings.Split(val, logs.OnExitArgsSep)
		case "--log-driver":
			if val != "none" {
				return cfg, fmt.Errorf("unknown log driver %q", val)
			}
			cfg.discard = true
		case "--netns":
			cfg.netns = val
		case "--on-netns-args":
			cfg.netnsArgs = strings.Split(val, logs.OnExitArgsSep)
		case "--health-interval":
			d, err := time.ParseDuration(val)
			if err != nil || d <= 0 {
				return cfg, fmt.Errorf("invalid --health-interval %q", val)
			}
			cfg.healthInterval = d
		case "--on-health-args":
			cfg.healthArgs = strings.Split(val, logs.OnExitArgsSep)
		case "--stdin":
			cfg.stdin = val
		case "--fifo-io":
			cfg.fifoIO = val == "true"
		default:
			return cfg, fmt.Errorf("unknown flag %s", key)
		}
	}
	if cfg.logPath == "" {
		return cfg, errors.New("--log-path is required")
	}
	maxSize, maxFiles, err := logs.ParseLogOpts(sizeOpts)
	if err != nil {
		return cfg, err
	}
	if cfg.maxSize == 0 {
		cfg.maxSize = maxSize
	}
	cfg.maxFiles = maxFiles
	return cfg, nil
}

type logger struct {
	cfg     config
	w       *logs.Writer
	fds     [2]int // stdout and stderr pipes; -1 once closed
	streams [2]io.WriteCloser
	buf     []byte

	sigR    int // read end of the self-pipe signal handlers write to
	pidfd   int // -1 until the init process is known
	stdinFd int // the --stdin FIFO, held while the init runs; -1 if none
	// goneAt is when the init exited, for --fifo-io: the shim copies the
	// last output into the FIFOs after that, so the exit is handled at their
	// EOF (or exitWait later).
	goneAt  time.Time
	exited  bool
	writeOK bool // false after a failed write, until one succeeds

	nextProbe    time.Time   // when the next health probe is due (zero: none)
	probeRunning atomic.Bool // a probe has been started and has not ended
}

func newLogger(cfg config) (*logger, error) {
	l := &logger{
		cfg:     cfg,
		fds:     [2]int{fdStdout, fdStderr},
		buf:     make([]byte, readBufSize),
		pidfd:   -1,
		stdinFd: -1,
		writeOK: true,
	}
	if cfg.discard {
		if err := os.MkdirAll(filepath.Dir(cfg.logPath), 0o700); err != nil {
			return nil, err
		}
		l.streams = [2]io.WriteCloser{discard{}, discard{}}
	} else {
		w, err := logs.NewWriter(cfg.logPath, cfg.maxSize, cfg.maxFiles)
		if err != nil {
			return nil, err
		}
		l.w = w
		l.streams = [2]io.WriteCloser{w.Stream(logs.Stdout), w.Stream(logs.Stderr)}
	}
	for i, fd := range l.fds {
		if err := unix.SetNonblock(fd, true); err != nil {
			l.fds[i] = -1 // not passed: not started by a shim
		}
	}
	return l, nil
}

func (l *logger) run() error {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return fmt.Errorf("creating signal pipe: %w", err)
	}
	l.sigR = p[0]
	sigC := make(chan os.Signal, 1)
	signal.Notify(sigC, syscall.SIGTERM, syscall.SIGINT)
	signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
	go func() {
		for range sigC {
			unix.Write(p[1], []byte{1})
		}
	}()

	l.ensureNetNS()
	if l.cfg.stdin != "" {
		// O_RDWR never blocks on a FIFO and counts as a writer: the
		// container's reads wait for input instead of ending.
		fd, err := unix.Open(l.cfg.stdin, unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err != nil {
			fmt.Fprintf(os.Stderr, "lumper-logger: holding stdin %s: %v\n", l.cfg.stdin, err)
		} else {
			l.stdinFd = fd
		}
	}
	// Ready: the shim lets runc create the container once it reads a byte.
	unix.Write(fdReady, []byte{1})
	unix.Close(fdReady)

	l.checkPidFile()
	readyAt := time.Now()
	var eofAt time.Time // when stdout reached EOF
	pfds := make([]unix.PollFd, 0, 4)
	for {
		// Before the poll's timeout is chosen: the init may be known
		// already (checkPidFile above), and a due probe is started here.
		l.healthTick()
		pfds = pfds[:0]
		for _, fd := range l.fds {
			if fd >= 0 {
				pfds = append(pfds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
			}
		}
		pfds = append(pfds, unix.PollFd{Fd: int32(l.sigR), Events: unix.POLLIN})
		if l.pidfd >= 0 && l.goneAt.IsZero() {
			pfds = append(pfds, unix.PollFd{Fd: int32(l.pidfd), Events: unix.POLLIN})
		}
		timeout := -1
		switch {
		case l.fds[0] < 0:
			timeout = max(0, int(time.Until(eofAt.Add(exitWait))/time.Millisecond))
		case !l.exited && l.pidfd < 0:
			timeout = int(pidPollInterval / time.Millisecond)
		}
		if l.fds[0] < 0 && l.waitsForPid() {
			timeout = min(timeout, int(pidPollInterval/time.Millisecond))
		}
		if !l.goneAt.IsZero() && !l.exited {
			wait := max(0, int(time.Until(l.goneAt.Add(exitWait))/time.Millisecond)+1)
			if timeout < 0 || wait < timeout {
				timeout = wait
			}
		}
		if !l.nextProbe.IsZero() {
			wait := max(0, int(time.Until(l.nextProbe)/time.Millisecond)+1)
			if timeout < 0 || wait < timeout {
				timeout = wait
			}
		}
		if _, err := unix.Poll(pfds, timeout); err != nil && err != unix.EINTR {
			return fmt.Errorf("polling: %w", err)
		}
		for _, pfd := range pfds {
			if pfd.Revents == 0 {
				continue
			}
			switch int(pfd.Fd) {
			case l.sigR:
				return l.finish()
			case l.pidfd:
				if l.cfg.fifoIO && (l.fds[0] >= 0 || l.fds[1] >= 0) {
					// Once: the pidfd stays readable, and a second
					// round would move goneAt (and spin the poll).
					unix.Close(l.pidfd)
					l.pidfd = -1
					l.goneAt = time.Now()
				} else {
					l.initExited()
				}
			default:
				for i, fd := range l.fds {
					if fd == int(pfd.Fd) {
						l.readPipe(i, readsPerWakeup)
					}
				}
			}
		}
		if !l.exited && l.pidfd < 0 && l.goneAt.IsZero() {
			l.checkPidFile()
			if l.waitsForPid() && time.Since(readyAt) > fifoPidWait {
				fmt.Fprintf(os.Stderr, "lumper-logger: no init pid in %s after %s: giving up\n", l.cfg.pidFile, fifoPidWait)
				return l.finish()
			}
		}
		if !l.goneAt.IsZero() && !l.exited && ((l.fds[0] < 0 && l.fds[1] < 0) || time.Since(l.goneAt) >= exitWait) {
			l.initExited()
		}
		if l.fds[0] < 0 {
			// EOF on stdout: the task is deleted, or a TTY container
			// exited (the shim closes stdout when its console closes, a
			// moment before the process is gone; its stderr pipe is
			// unused). Let the exit program run first, if there is a
			// container.
			if eofAt.IsZero() {
				eofAt = time.Now()
			}
			if l.exited || (l.pidfd < 0 && !l.waitsForPid()) || time.Since(eofAt) >= exitWait {
				return l.finish()
			}
		}
	}
}

// waitsForPid reports whether the logger still waits for the init's pid,
// which lumper writes after the task exists (--fifo-io): the container may
// have ended, and the shim's copy with it, before that.
func (l *logger) waitsForPid() bool {
	return l.cfg.fifoIO && !l.exited && l.pidfd < 0 && l.goneAt.IsZero()
}

// readPipe copies what is available in pipe i to its stream, in at most
// limit reads. It closes the pipe at EOF.
func (l *logger) readPipe(i, limit int) {
	fd := l.fds[i]
	for n := 0; n < limit; n++ {
		c, err := unix.Read(fd, l.buf)
		if c > 0 {
			_, werr := l.streams[i].Write(l.buf[:c])
			l.reportWrite(werr)
			continue
		}
		switch err {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return
		}
		// EOF or a broken descriptor.
		unix.Close(fd)
		l.fds[i] = -1
		return
	}
}

// reportWrite prints the first of a series of write errors: the logger keeps
// reading the pipes whatever happens, so that the container never blocks.
func (l *logger) reportWrite(err error) {
	if err != nil && l.writeOK {
		fmt.Fprintf(os.Stderr, "lumper-logger: %v\n", err)
	}
	l.writeOK = err == nil
}

// drain empties both pipes.
func (l *logger) drain() {
	deadline := time.Now().Add(drainTimeout)
	for i := range l.fds {
		for l.fds[i] >= 0 && time.Now().Before(deadline) {
			l.readPipe(i, readsPerWakeup)
			if l.fds[i] >= 0 && !l.pipeHasData(i) {
				break
			}
		}
	}
}

// pipeHasData reports whether pipe i has bytes to read (or is at EOF).
func (l *logger) pipeHasData(i int) bool {
	pfd := []unix.PollFd{{Fd: int32(l.fds[i]), Events: unix.POLLIN}}
	n, err := unix.Poll(pfd, 0)
	return err == nil && n > 0
}

// checkPidFile opens a pidfd for the container's init once the shim has
// written its pid.
func (l *logger) checkPidFile() {
	data, err := os.ReadFile(l.cfg.pidFile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return // being written
	}
	fd, err := unix.PidfdOpen(pid, 0) // close-on-exec
	if err != nil {
		// Already exited and reaped.
		if l.cfg.fifoIO && (l.fds[0] >= 0 || l.fds[1] >= 0) {
			l.goneAt = time.Now() // its last output may still be on the way
			return
		}
		l.initExited()
		return
	}
	l.pidfd = fd
}

// healthTick starts the health probe when it is due, while the container's
// init runs; a probe still running at the next tick skips that tick.
func (l *logger) healthTick() {
	if l.cfg.healthInterval <= 0 || l.cfg.onExit == "" || len(l.cfg.healthArgs) == 0 {
		return
	}
	if l.exited || l.pidfd < 0 {
		l.nextProbe = time.Time{}
		return
	}
	now := time.Now()
	if l.nextProbe.IsZero() {
		l.nextProbe = now.Add(l.cfg.healthInterval)
		return
	}
	if now.Before(l.nextProbe) {
		return
	}
	l.nextProbe = now.Add(l.cfg.healthInterval)
	if !l.probeRunning.CompareAndSwap(false, true) {
		return
	}
	p, err := l.startHook(l.cfg.healthArgs, nil)
	if err != nil {
		l.probeRunning.Store(false)
		fmt.Fprintf(os.Stderr, "lumper-logger: starting health probe: %v\n", err)
		return
	}
	go func() {
		p.Wait()
		l.probeRunning.Store(false)
	}()
}

// initExited saves everything the container wrote and runs the exit program.
func (l *logger) initExited() {
	if l.pidfd >= 0 {
		unix.Close(l.pidfd)
		l.pidfd = -1
	}
	if l.exited {
		return
	}
	l.exited = true
	l.nextProbe = time.Time{}
	l.closeStdin()
	// The pipes hold all that the container wrote before it died.
	l.drain()
	if l.w != nil {
		l.reportWrite(l.w.Flush())
		l.reportWrite(l.w.Sync())
	}
	if l.cfg.onExit != "" {
		if err := l.startOnExit(); err != nil {
			fmt.Fprintf(os.Stderr, "lumper-logger: %v\n", err)
		}
	}
}

// startOnExit starts the exit program detached from the logger.
func (l *logger) startOnExit() error {
	p, err := l.startHook(l.cfg.onExitArgs, nil)
	if err != nil {
		return fmt.Errorf("starting exit program: %w", err)
	}
	// Reap it if it ends before the logger; otherwise it is reparented.
	go p.Wait()
	return nil
}

// ensureNetNS runs the --on-exit program with --on-netns-args when the task's
// network namespace is missing, and waits for it. A failure is reported on
// stderr (the shim's log); the runtime then fails to create the task, and
// the restart monitor tries again.
func (l *logger) ensureNetNS() {
	if l.cfg.netns == "" || l.cfg.onExit == "" || isNetNS(l.cfg.netns) {
		return
	}
	p, err := l.startHook(l.cfg.netnsArgs, os.Stderr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "lumper-logger: setting up network namespace %s: %v\n", l.cfg.netns, err)
		return
	}
	done := make(chan error, 1)
	go func() {
		st, err := p.Wait()
		if err == nil && !st.Success() {
			err = errors.New(st.String())
		}
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(netnsWait):
		p.Kill()
		err = fmt.Errorf("no result after %s", netnsWait)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "lumper-logger: setting up network namespace %s: %v\n", l.cfg.netns, err)
	}
}

// startHook starts the --on-exit program with args, in a new session, with
// stdin and stdout on /dev/null, stderr on errOut (or /dev/null), and the
// environment CONTAINER_ID, CONTAINER_NAMESPACE and a default PATH.
func (l *logger) startHook(args []string, errOut *os.File) (*os.Process, error) {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer null.Close()
	if errOut == nil {
		errOut = null
	}
	env := []string{hookPath}
	for _, k := range []string{"CONTAINER_ID", "CONTAINER_NAMESPACE"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return os.StartProcess(l.cfg.onExit, append([]string{l.cfg.onExit}, args...), &os.ProcAttr{
		Dir:   "/",
		Env:   env,
		Files: []*os.File{null, null, errOut},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
}

// isNetNS reports whether a network namespace is mounted at path.
func isNetNS(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == unix.NSFS_MAGIC
}

// closeStdin lets go of the stdin FIFO: nothing reads it any more.
func (l *logger) closeStdin() {
	if l.stdinFd >= 0 {
		unix.Close(l.stdinFd)
		l.stdinFd = -1
	}
}

// finish saves what is left and closes the log.
func (l *logger) finish() error {
	defer l.closeStdin()
	l.drain()
	switch {
	case l.exited:
	case !l.goneAt.IsZero():
		// --fifo-io: the init is gone and its output has ended (or one
		// stream has, and the drain above took what was left): the exit
		// program must still run.
		l.initExited()
	case l.pidfd >= 0 && l.pidfdExited():
		// Stopped before the container exited (the task was killed and
		// deleted at once): the exit program still has to run if it died.
		l.initExited()
	}
	for _, s := range l.streams {
		l.reportWrite(s.Close())
	}
	if l.w == nil {
		return nil
	}
	l.reportWrite(l.w.Sync())
	return l.w.Close()
}

// discard is a stream of --log-driver none.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) Close() error                { return nil }

func (l *logger) pidfdExited() bool {
	pfd := []unix.PollFd{{Fd: int32(l.pidfd), Events: unix.POLLIN}}
	n, err := unix.Poll(pfd, 0)
	return err == nil && n > 0
}
