package commands

import (
	"slices"
	"testing"
)

// parsed runs lumper's command tree with the test hook: the command parses
// and checks its flags, then hands its options here instead of running.
func parsed(t *testing.T, args ...string) any {
	t.Helper()
	var got any
	streams, _, errb := TestIO("")
	root := newRoot(streams, func(o any) error { got = o; return nil })
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(t.Context())
	if err != nil {
		t.Fatalf("lumper %v: %v (exit %d, %s)", args, err, ExitCode(errb, cmd, err), errb)
	}
	if got == nil {
		t.Fatalf("lumper %v did not reach its run function", args)
	}
	return got
}

func TestFlagParsing(t *testing.T) {
	run := parsed(t, "run", "--rm", "-d", "-l", "a=b", "--label", "c", "-e", "X=1", "-m", "64m", "-c", "512",
		"--cpuset", "0", "-v", "/srv:/data:ro", "-t", "--name", "web", "busybox", "httpd", "-f").(*RunOptions)
	if !run.Remove || !run.Detach || !run.TTY || run.Name != "web" || run.Memory != "64m" || run.CPUShares != 512 ||
		run.Cpuset != "0" || !slices.Equal(run.Labels, []string{"a=b", "c"}) || !slices.Equal(run.Env, []string{"X=1"}) ||
		!slices.Equal(run.Volumes, []string{"/srv:/data:ro"}) || run.Image != "busybox" || !slices.Equal(run.Args, []string{"httpd", "-f"}) {
		t.Errorf("run options: %+v", run)
	}
	// Docker's long names of the seed's flags land in the same fields.
	run = parsed(t, "container", "run", "--cpu-shares", "256", "--cpuset-cpus", "1", "busybox").(*RunOptions)
	if run.CPUShares != 256 || run.Cpuset != "1" {
		t.Errorf("container run --cpu-shares/--cpuset-cpus: %+v", run)
	}
	// Flags after the image belong to the container's command.
	run = parsed(t, "run", "busybox", "ls", "-l").(*RunOptions)
	if !slices.Equal(run.Args, []string{"ls", "-l"}) {
		t.Errorf("args after the image: %q", run.Args)
	}

	ps := parsed(t, "ps", "-a", "-n", "2", "--filter", "status=exited", "-f", "label=app", "--no-trunc", "-q").(*PsOptions)
	if !ps.All || ps.Last != 2 || !ps.NoTrunc || !ps.Quiet || !slices.Equal(ps.Filters, []string{"status=exited", "label=app"}) {
		t.Errorf("ps options: %+v", ps)
	}
	if ps := parsed(t, "container", "ls", "-l").(*PsOptions); !ps.Latest {
		t.Errorf("container ls -l: %+v", ps)
	}

	if logs := parsed(t, "logs", "-n", "5", "-f", "-t", "web").(*LogsOptions); logs.Tail != "5" || !logs.Follow || !logs.Timestamps || logs.Ref != "web" {
		t.Errorf("logs -n 5 -f -t: %+v", logs)
	}
	if stop := parsed(t, "stop", "-t", "3", "a", "b").(*StopOptions); stop.Timeout != 3 || !slices.Equal(stop.Refs, []string{"a", "b"}) {
		t.Errorf("stop -t 3 a b: %+v", stop)
	}
	if rm := parsed(t, "rm", "-f", "x").(*RmOptions); !rm.Force {
		t.Errorf("rm -f: %+v", rm)
	}
	if img := parsed(t, "images", "--filter", "dangling=true", "--digests", "busybox").(*ImagesOptions); !img.Digests {
		t.Errorf("images --digests: %+v", img)
	}
}
