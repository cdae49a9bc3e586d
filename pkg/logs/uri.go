package logs

import (
	"net/url"
	"strconv"
	"strings"
)

// LoggerScheme is the URI scheme under which containerd's shim starts a
// logging binary and waits for it to signal that it is ready. "binary" is
// understood by every containerd since 1.3 (the logger writes one byte on the
// ready pipe, which 2.x's stricter "binary-v2" would also require); lumper
// must also run on hosts with containerd 1.7.
const LoggerScheme = "binary"

// OnExitArgsSep separates the arguments joined in the --on-exit-args value of
// lumper-logger: a URI query cannot repeat a key reliably, so the arguments
// travel as one string.
const OnExitArgsSep = "\x1f"

// BinaryURI returns the stdout/stderr URI that makes containerd's shim start
// the logger binary at loggerPath (an absolute path) for a task: the shim
// turns each query parameter into a "--key value" pair of arguments. The
// logger writes the task's output to logPath, rotating it at maxSize bytes
// and keeping maxFiles files; when the container's init process exits it
// runs onExit (if not empty) with onExitArgs. Pass the result to url.Parse
// and cio.LogURI (or cio.TerminalLogURI).
func BinaryURI(loggerPath, logPath string, maxSize int64, maxFiles int, onExit string, onExitArgs []string) string {
	return BinaryURIWithNetNS(loggerPath, logPath, maxSize, maxFiles, onExit, onExitArgs, "", nil)
}

// BinaryURIWithNetNS is BinaryURI for a task that joins the network
// namespace mounted at netns: when the logger starts (before the runtime
// creates the container) and finds no namespace there, as after a host
// reboot, it runs onExit with onNetNSArgs and waits for it, so that lumper
// sets the network up again before the restarted task needs it.
func BinaryURIWithNetNS(loggerPath, logPath string, maxSize int64, maxFiles int, onExit string, onExitArgs []string, netns string, onNetNSArgs []string) string {
	q := url.Values{}
	q.Set("--log-path", logPath)
	q.Set("--max-size", strconv.FormatInt(maxSize, 10))
	q.Set("--max-file", strconv.Itoa(maxFiles))
	if onExit != "" {
		q.Set("--on-exit", onExit)
		if len(onExitArgs) > 0 {
			q.Set("--on-exit-args", strings.Join(onExitArgs, OnExitArgsSep))
		}
		if netns != "" && len(onNetNSArgs) > 0 {
			q.Set("--netns", netns)
			q.Set("--on-netns-args", strings.Join(onNetNSArgs, OnExitArgsSep))
		}
	}
	u := url.URL{Scheme: LoggerScheme, Path: loggerPath, RawQuery: q.Encode()}
	return u.String()
}
