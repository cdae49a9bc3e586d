//go:build integration

package integration

import (
	"encoding/json"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Docker's inspect documents (docker inspect, container inspect, image
// inspect): the -f paths scripts use and the error lines they grep.

var (
	hex64RE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	ipRE    = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
	macRE   = regexp.MustCompile(`^([0-9a-f]{2}:){5}[0-9a-f]{2}$`)
)

// inspectF runs `inspect -f format refs...`, or `GROUP inspect -f format
// refs...` when refs start with container, image or network, and returns
// stdout without its last newline.
func inspectF(t *testing.T, format string, refs ...string) string {
	t.Helper()
	args := append([]string{"inspect", "-f", format}, refs...)
	if len(refs) > 1 && (refs[0] == "container" || refs[0] == "image" || refs[0] == "network") {
		args = append([]string{refs[0], "inspect", "-f", format}, refs[1:]...)
	}
	out := dockerOK(t, args...)
	return strings.TrimSuffix(out, "\n")
}

func wantRFC3339(t *testing.T, what, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%s = %q, want an RFC 3339 time: %v", what, s, err)
	}
	return tm
}

func wantEqual(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

// webPort is the host port compatWeb's 80/tcp is published on.
func webPort(t *testing.T) int {
	t.Helper()
	p := inspectF(t, `{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}`, fixture(t, compatWeb))
	n, err := strconv.Atoi(p)
	if err != nil || n <= 0 || n > 65535 {
		t.Fatalf("host port of 80/tcp = %q", p)
	}
	return n
}

var _ = registerCompat("inspect",
	compatCase{"inspect -f '{{.NetworkSettings.IPAddress}}' web", func(t *testing.T) {
		if ip := inspectF(t, "{{.NetworkSettings.IPAddress}}", fixture(t, compatWeb)); !ipRE.MatchString(ip) {
			t.Fatalf("IPAddress = %q", ip)
		}
	}},
	compatCase{"inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' web (Docker's example)", func(t *testing.T) {
		web := fixture(t, compatWeb)
		wantEqual(t, "Networks' IPAddress", inspectF(t, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", web),
			inspectF(t, "{{.NetworkSettings.IPAddress}}", web))
	}},
	compatCase{"inspect -f '{{.NetworkSettings.Networks.bridge.IPAddress}} {{.NetworkSettings.Networks.bridge.Gateway}}' web", func(t *testing.T) {
		web := fixture(t, compatWeb)
		wantEqual(t, "Networks.bridge", inspectF(t, "{{.NetworkSettings.Networks.bridge.IPAddress}} {{.NetworkSettings.Networks.bridge.Gateway}}", web),
			inspectF(t, "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}}", web))
	}},
	compatCase{"inspect -f '{{.NetworkSettings.Gateway}}' web", func(t *testing.T) {
		if gw := inspectF(t, "{{.NetworkSettings.Gateway}}", fixture(t, compatWeb)); !ipRE.MatchString(gw) || !strings.HasSuffix(gw, ".1") {
			t.Fatalf("Gateway = %q", gw)
		}
	}},
	compatCase{"inspect -f '{{.NetworkSettings.MacAddress}}' web", func(t *testing.T) {
		if mac := inspectF(t, "{{.NetworkSettings.MacAddress}}", fixture(t, compatWeb)); !macRE.MatchString(mac) {
			t.Fatalf("MacAddress = %q", mac)
		}
	}},
	compatCase{`inspect -f '{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}' web answers on that port`, func(t *testing.T) {
		port := webPort(t)
		eventually(t, 10*time.Second, "httpd on the published port", func() bool {
			_, err := httpGet("http://127.0.0.1:" + strconv.Itoa(port) + "/")
			return err == nil
		})
	}},
	compatCase{`inspect -f '{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostIp}}' web`, func(t *testing.T) {
		wantEqual(t, "HostIp", inspectF(t, `{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostIp}}`, fixture(t, compatWeb)), "127.0.0.1")
	}},
	compatCase{"inspect -f '{{json .HostConfig.PortBindings}}' web", func(t *testing.T) {
		wantEqual(t, "PortBindings", inspectF(t, "{{json .HostConfig.PortBindings}}", fixture(t, compatWeb)),
			`{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":""}]}`)
	}},
	compatCase{"inspect -f '{{.Id}}' web", func(t *testing.T) {
		web := fixture(t, compatWeb)
		id := inspectF(t, "{{.Id}}", web)
		if !hex64RE.MatchString(id) {
			t.Fatalf("Id = %q", id)
		}
		wantEqual(t, ".ID", inspectF(t, "{{.ID}}", web), id)
	}},
	compatCase{"inspect -f '{{.Name}}' web is /web", func(t *testing.T) {
		wantEqual(t, "Name", inspectF(t, "{{.Name}}", fixture(t, compatWeb)), "/"+compatWeb)
	}},
	compatCase{"inspect -f '{{.Name}}' SHORT-ID", func(t *testing.T) {
		id := inspectF(t, "{{.Id}}", fixture(t, compatWeb))
		wantEqual(t, "Name", inspectF(t, "{{.Name}}", id[:12]), "/"+compatWeb)
	}},
	compatCase{"inspect -f '{{.State.Status}} {{.State.Running}} {{.State.Paused}}' web", func(t *testing.T) {
		wantEqual(t, "State", inspectF(t, "{{.State.Status}} {{.State.Running}} {{.State.Paused}}", fixture(t, compatWeb)), "running true false")
	}},
	compatCase{"inspect -f '{{.State.Pid}}' web", func(t *testing.T) {
		if pid, err := strconv.Atoi(inspectF(t, "{{.State.Pid}}", fixture(t, compatWeb))); err != nil || pid <= 0 {
			t.Fatalf("Pid = %d, %v", pid, err)
		}
	}},
	compatCase{"inspect -f '{{.State.ExitCode}}' of a container that exited 3", func(t *testing.T) {
		wantEqual(t, "State", inspectF(t, "{{.State.Status}} {{.State.ExitCode}} {{.State.Running}} {{.State.Pid}}", fixture(t, compatExited)), "exited 3 false 0")
	}},
	compatCase{"inspect -f '{{.State.OOMKilled}}' exited", func(t *testing.T) {
		wantEqual(t, "OOMKilled", inspectF(t, "{{.State.OOMKilled}}", fixture(t, compatExited)), "false")
	}},
	compatCase{"inspect -f '{{.State.StartedAt}} {{.State.FinishedAt}}' exited: RFC 3339, finished after started", func(t *testing.T) {
		f := strings.Fields(inspectF(t, "{{.State.StartedAt}} {{.State.FinishedAt}}", fixture(t, compatExited)))
		if len(f) != 2 {
			t.Fatalf("got %q", f)
		}
		s, e := wantRFC3339(t, "StartedAt", f[0]), wantRFC3339(t, "FinishedAt", f[1])
		if s.Year() < 2000 || e.Before(s) {
			t.Fatalf("StartedAt %v FinishedAt %v", s, e)
		}
	}},
	compatCase{"inspect -f '{{.State.Status}} {{.State.StartedAt}}' of a created container", func(t *testing.T) {
		wantEqual(t, "State", inspectF(t, "{{.State.Status}} {{.State.StartedAt}}", fixture(t, compatCreated)), "created 0001-01-01T00:00:00Z")
	}},
	compatCase{"inspect -f '{{.State.Health}}' without a health check", func(t *testing.T) {
		wantEqual(t, "Health", inspectF(t, "{{.State.Health}}", fixture(t, compatWeb)), "<nil>")
	}},
	compatCase{"inspect -f '{{.Created}}' web: RFC 3339", func(t *testing.T) {
		if c := wantRFC3339(t, "Created", inspectF(t, "{{.Created}}", fixture(t, compatWeb))); time.Since(c) > time.Hour || time.Until(c) > time.Minute {
			t.Fatalf("Created %v is not recent", c)
		}
	}},
	compatCase{"inspect -f '{{.Image}}' web is the image ID", func(t *testing.T) {
		img := inspectF(t, "{{.Image}}", fixture(t, compatWeb))
		wantEqual(t, "Image", img, inspectF(t, "{{.Id}}", "image", "busybox"))
		if !strings.HasPrefix(img, "sha256:") || !hex64RE.MatchString(img[7:]) {
			t.Fatalf("Image = %q", img)
		}
	}},
	compatCase{"inspect -f '{{.Config.Image}}' web", func(t *testing.T) {
		wantEqual(t, "Config.Image", inspectF(t, "{{.Config.Image}}", fixture(t, compatWeb)), "busybox")
	}},
	compatCase{`inspect -f '{{.Config.Labels.app}} {{index .Config.Labels "tier"}}' web`, func(t *testing.T) {
		wantEqual(t, "Labels", inspectF(t, `{{.Config.Labels.app}} {{index .Config.Labels "tier"}}`, fixture(t, compatWeb)), "web front")
	}},
	compatCase{"inspect -f '{{json .Config.Labels}}' web: the user's labels only", func(t *testing.T) {
		var l map[string]string
		if err := json.Unmarshal([]byte(inspectF(t, "{{json .Config.Labels}}", fixture(t, compatWeb))), &l); err != nil {
			t.Fatal(err)
		}
		if len(l) != 2 || l["app"] != "web" || l["tier"] != "front" {
			t.Fatalf("Labels = %v", l)
		}
	}},
	compatCase{"inspect -f '{{range .Config.Env}}{{println .}}{{end}}' web", func(t *testing.T) {
		env := lines(inspectF(t, "{{range .Config.Env}}{{println .}}{{end}}", fixture(t, compatWeb)))
		found := false
		for _, e := range env {
			found = found || e == "FOO=bar"
		}
		if !found {
			t.Fatalf("Env = %q, want FOO=bar in it", env)
		}
	}},
	compatCase{"inspect -f '{{json .Config.Cmd}} {{json .Config.Entrypoint}}' web", func(t *testing.T) {
		wantEqual(t, "Cmd, Entrypoint", inspectF(t, "{{json .Config.Cmd}} {{json .Config.Entrypoint}}", fixture(t, compatWeb)), `["httpd","-f","-p","80"] null`)
	}},
	compatCase{"inspect -f '{{.Path}} {{.Args}}' web", func(t *testing.T) {
		wantEqual(t, "Path Args", inspectF(t, "{{.Path}} {{.Args}}", fixture(t, compatWeb)), "httpd [-f -p 80]")
	}},
	compatCase{"inspect -f '{{.Config.ExposedPorts}}' web lists 80/tcp", func(t *testing.T) {
		wantEqual(t, "ExposedPorts", inspectF(t, "{{json .Config.ExposedPorts}}", fixture(t, compatWeb)), `{"80/tcp":{}}`)
	}},
	compatCase{"inspect -f '{{.Config.Hostname}}' is the short ID", func(t *testing.T) {
		web := fixture(t, compatWeb)
		wantEqual(t, "Hostname", inspectF(t, "{{.Config.Hostname}}", web), inspectF(t, "{{.Id}}", web)[:12])
	}},
	compatCase{"inspect -f '{{.HostConfig.RestartPolicy.Name}} {{.RestartCount}}' web", func(t *testing.T) {
		wantEqual(t, "RestartPolicy", inspectF(t, "{{.HostConfig.RestartPolicy.Name}} {{.RestartCount}}", fixture(t, compatWeb)), "no 0")
	}},
	compatCase{"create --restart on-failure:3: inspect -f '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}'", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "create", "--name", name, "--restart", "on-failure:3", "busybox", "true")
		wantEqual(t, "RestartPolicy", inspectF(t, "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", name), "on-failure 3")
	}},
	compatCase{"create -m 64m --cpus 1.5 -c 512 --cpuset-cpus 0: inspect -f '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.CpusetCpus}}'", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "create", "--name", name, "-m", "64m", "--cpus", "1.5", "-c", "512", "--cpuset-cpus", "0", "busybox", "true")
		wantEqual(t, "HostConfig", inspectF(t, "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.CpusetCpus}}", name),
			"67108864 1500000000 512 0")
	}},
	compatCase{"create --read-only --privileged: inspect -f '{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.Privileged}}'", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "create", "--name", name, "--read-only", "--privileged", "busybox", "true")
		wantEqual(t, "HostConfig", inspectF(t, "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.Privileged}}", name), "true true")
		wantEqual(t, "web's", inspectF(t, "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.Privileged}}", fixture(t, compatWeb)), "false false")
	}},
	compatCase{"create -v DIR:/data:ro: inspect -f '{{.HostConfig.Binds}}' and '{{json .Mounts}}' (the user's mounts only)", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dir := t.TempDir()
		dockerOK(t, "create", "--name", name, "-v", dir+":/data:ro", "busybox", "true")
		wantEqual(t, "Binds", inspectF(t, "{{.HostConfig.Binds}}", name), "["+dir+":/data:ro]")
		var ms []struct {
			Type, Source, Destination, Mode string
			RW                              bool
		}
		if err := json.Unmarshal([]byte(inspectF(t, "{{json .Mounts}}", name)), &ms); err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 || ms[0].Type != "bind" || ms[0].Source != dir || ms[0].Destination != "/data" || ms[0].RW || ms[0].Mode != "ro" {
			t.Fatalf("Mounts = %+v, want the one read-only bind", ms)
		}
		wantEqual(t, "web's Mounts", inspectF(t, "{{len .Mounts}}", fixture(t, compatWeb)), "0")
	}},
	compatCase{"create --user 1000 -w /tmp: inspect -f '{{.Config.User}} {{.Config.WorkingDir}}'", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		dockerOK(t, "create", "--name", name, "--user", "1000", "-w", "/tmp", "busybox", "true")
		wantEqual(t, "User WorkingDir", inspectF(t, "{{.Config.User}} {{.Config.WorkingDir}}", name), "1000 /tmp")
		wantEqual(t, "web's", inspectF(t, "{{.Config.User}}|{{.Config.WorkingDir}}", fixture(t, compatWeb)), "|")
	}},
	compatCase{"inspect web: one JSON document with Docker's top-level keys", func(t *testing.T) {
		var docs []map[string]json.RawMessage
		if err := json.Unmarshal([]byte(dockerOK(t, "inspect", fixture(t, compatWeb))), &docs); err != nil || len(docs) != 1 {
			t.Fatalf("inspect: %v (%d documents)", err, len(docs))
		}
		for _, k := range []string{"Id", "Created", "Path", "Args", "State", "Image", "Name", "RestartCount", "HostConfig", "Mounts", "Config", "NetworkSettings", "LogPath"} {
			if _, ok := docs[0][k]; !ok {
				t.Errorf("no %s in the document", k)
			}
		}
	}},
	compatCase{"inspect web exited: two documents in order", func(t *testing.T) {
		out := inspectF(t, "{{.Name}}", fixture(t, compatWeb), fixture(t, compatExited))
		wantEqual(t, "names", out, "/"+compatWeb+"\n/"+compatExited)
	}},
	compatCase{"container inspect -f '{{.State.Status}}' web", func(t *testing.T) {
		wantEqual(t, "Status", strings.TrimSpace(dockerOK(t, "container", "inspect", "-f", "{{.State.Status}}", fixture(t, compatWeb))), "running")
	}},
	compatCase{"inspect --type container -f '{{.Name}}' web", func(t *testing.T) {
		wantEqual(t, "Name", strings.TrimSpace(dockerOK(t, "inspect", "--type", "container", "-f", "{{.Name}}", fixture(t, compatWeb))), "/"+compatWeb)
	}},
	compatCase{"inspect --format '{{.Config.Image}}' web (--format, as -f)", func(t *testing.T) {
		wantEqual(t, "Config.Image", strings.TrimSpace(dockerOK(t, "inspect", "--format", "{{.Config.Image}}", fixture(t, compatWeb))), "busybox")
	}},
	compatCase{"inspect missing: [] on stdout, 'Error: No such object: missing', exit 1", func(t *testing.T) {
		r := docker("inspect", "no-such-thing-x")
		wantExit(t, r, 1)
		wantEqual(t, "stdout", r.stdout, "[]\n")
		wantEqual(t, "stderr", r.stderr, "Error: No such object: no-such-thing-x\n")
	}},
	compatCase{"inspect web missing: web printed, exit 1", func(t *testing.T) {
		r := docker("inspect", "-f", "{{.Name}}", fixture(t, compatWeb), "no-such-thing-y")
		wantExit(t, r, 1)
		wantEqual(t, "stdout", r.stdout, "/"+compatWeb+"\n")
		if !strings.Contains(r.stderr, "No such object: no-such-thing-y") {
			t.Fatalf("stderr %q", r.stderr)
		}
	}},
	compatCase{"container inspect missing: 'Error: No such container: missing', exit 1", func(t *testing.T) {
		r := docker("container", "inspect", "no-such-ctr")
		wantExit(t, r, 1)
		wantEqual(t, "stderr", r.stderr, "Error: No such container: no-such-ctr\n")
	}},
	compatCase{"inspect --type container busybox: an image is not a container", func(t *testing.T) {
		r := docker("inspect", "--type", "container", "busybox")
		wantExit(t, r, 1)
		wantEqual(t, "stderr", r.stderr, "Error: No such container: busybox\n")
	}},
	compatCase{"inspect --type image web: a container is not an image", func(t *testing.T) {
		r := docker("inspect", "--type", "image", fixture(t, compatWeb))
		wantExit(t, r, 1)
		wantEqual(t, "stderr", r.stderr, "Error: No such image: "+compatWeb+"\n")
	}},
	compatCase{"inspect --type volume x: an unknown type is an error", func(t *testing.T) {
		wantExit(t, docker("inspect", "--type", "volume", "x"), 1)
	}},
	compatCase{"image inspect -f '{{.Id}}' busybox", func(t *testing.T) {
		id := inspectF(t, "{{.Id}}", "image", "busybox")
		if !strings.HasPrefix(id, "sha256:") || !hex64RE.MatchString(id[7:]) {
			t.Fatalf("Id = %q", id)
		}
	}},
	compatCase{"image inspect -f '{{.RepoTags}}' busybox", func(t *testing.T) {
		var tags []string
		if err := json.Unmarshal([]byte(inspectF(t, "{{json .RepoTags}}", "image", "busybox")), &tags); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, tag := range tags {
			found = found || tag == "busybox:latest"
		}
		if !found {
			t.Fatalf("RepoTags = %q, want busybox:latest", tags)
		}
	}},
	compatCase{"image inspect -f '{{.RepoDigests}}' busybox", func(t *testing.T) {
		if d := inspectF(t, "{{range .RepoDigests}}{{println .}}{{end}}", "image", "busybox"); !regexp.MustCompile(`(?m)^busybox@sha256:[0-9a-f]{64}$`).MatchString(d) {
			t.Fatalf("RepoDigests = %q", d)
		}
	}},
	compatCase{"image inspect -f '{{.Os}}/{{.Architecture}}' busybox", func(t *testing.T) {
		wantEqual(t, "platform", inspectF(t, "{{.Os}}/{{.Architecture}}", "image", "busybox"), "linux/"+runtime.GOARCH)
	}},
	compatCase{"image inspect -f '{{.Size}}' busybox", func(t *testing.T) {
		if n, err := strconv.ParseInt(inspectF(t, "{{.Size}}", "image", "busybox"), 10, 64); err != nil || n < 100000 {
			t.Fatalf("Size = %d, %v", n, err)
		}
	}},
	compatCase{"image inspect -f '{{.Created}}' busybox: RFC 3339", func(t *testing.T) {
		wantRFC3339(t, "Created", inspectF(t, "{{.Created}}", "image", "busybox"))
	}},
	compatCase{"image inspect -f '{{json .Config.Cmd}}' busybox", func(t *testing.T) {
		wantEqual(t, "Config.Cmd", inspectF(t, "{{json .Config.Cmd}}", "image", "busybox"), `["sh"]`)
	}},
	compatCase{"image inspect -f '{{json .RootFS.Layers}}' busybox: diff IDs", func(t *testing.T) {
		var layers []string
		if err := json.Unmarshal([]byte(inspectF(t, "{{json .RootFS.Layers}}", "image", "busybox")), &layers); err != nil || len(layers) == 0 || !strings.HasPrefix(layers[0], "sha256:") {
			t.Fatalf("RootFS.Layers = %q, %v", layers, err)
		}
	}},
	compatCase{"commit -m MSG: image inspect -f '{{.Comment}}'", func(t *testing.T) {
		name := uniqueName(t)
		rmOnCleanup(t, name)
		img := name + ":commented"
		t.Cleanup(func() { docker("rmi", img) })
		dockerOK(t, "create", "--name", name, "busybox", "true")
		dockerOK(t, "commit", "-m", "made for a script", name, img)
		wantEqual(t, "Comment", inspectF(t, "{{.Comment}}", "image", img), "made for a script")
	}},
	compatCase{"inspect busybox: an image when no container has that name", func(t *testing.T) {
		var docs []struct {
			ID       string `json:"Id"`
			RepoTags []string
		}
		if err := json.Unmarshal([]byte(dockerOK(t, "inspect", "busybox")), &docs); err != nil || len(docs) != 1 || len(docs[0].RepoTags) == 0 {
			t.Fatalf("inspect busybox: %v %+v", err, docs)
		}
	}},
	compatCase{"image inspect missing: 'Error: No such image: missing:latest', exit 1", func(t *testing.T) {
		r := docker("image", "inspect", "no-such-image:latest")
		wantExit(t, r, 1)
		wantEqual(t, "stdout", r.stdout, "[]\n")
		wantEqual(t, "stderr", r.stderr, "Error: No such image: no-such-image:latest\n")
	}},
)
