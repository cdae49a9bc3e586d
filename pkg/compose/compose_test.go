package compose

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// load writes files into a new project directory and loads it.
func load(t *testing.T, files map[string]string, o LoadOptions) (*types.Project, error) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "My.Project")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o.ProjectDir = dir
	for i, f := range o.Files {
		o.Files[i] = filepath.Join(dir, f)
	}
	return Load(context.Background(), o)
}

func TestLoadDotEnvOverrideAndNames(t *testing.T) {
	t.Setenv("COMPOSE_PROJECT_NAME", "")
	p, err := load(t, map[string]string{
		"compose.yaml": `services:
  web:
    image: busybox:${TAG}
    env_file: [web.env]
    networks:
      front: {aliases: [www]}
      back: {priority: 10}
    volumes: [data:/data, /tmp:/host:ro]
networks: {front: {}, back: {}}
volumes: {data: {}}
`,
		"compose.override.yaml": "services:\n  web:\n    environment: {FROM: override}\n",
		".env":                  "TAG=1.36\n",
		"web.env":               "FILE=yes\n",
	}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The directory's name, normalised as Docker Compose does.
	if p.Name != "myproject" {
		t.Fatalf("project name %q", p.Name)
	}
	s := p.Services["web"]
	if s.Image != "busybox:1.36" || *s.Environment["FROM"] != "override" || *s.Environment["FILE"] != "yes" {
		t.Fatalf("service: image %q env %v", s.Image, s.Environment)
	}
	if got := ContainerName(p, s, 2); got != "myproject-web-2" {
		t.Fatalf("container name %q", got)
	}
	if got := VolumeName(p, "data"); got != "myproject_data" {
		t.Fatalf("volume name %q", got)
	}
	nets := ServiceNetworks(p, s)
	if len(nets) != 2 || nets[0].Name != "myproject_back" || nets[1].Name != "myproject_front" ||
		strings.Join(nets[1].Aliases, ",") != "web,www" || strings.Join(nets[0].Aliases, ",") != "web" {
		t.Fatalf("networks %+v", nets)
	}
	l := Labels(p, s, 2, false)
	if l[LabelProject] != "myproject" || l[LabelService] != "web" || l[LabelNumber] != "2" || l[LabelOneOff] != "False" ||
		l[LabelConfigHash] != ConfigHash(s) || !strings.HasSuffix(l[LabelConfigFiles], "compose.override.yaml") {
		t.Fatalf("labels %v", l)
	}

	// -p wins over the directory; a service without networks is on default.
	p, err = load(t, map[string]string{"c.yaml": "services: {a: {image: busybox}}\n"}, LoadOptions{Files: []string{"c.yaml"}, Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	if nets := ServiceNetworks(p, p.Services["a"]); p.Name != "ci" || nets[0].Name != "ci_default" || nets[0].Aliases[0] != "a" {
		t.Fatalf("project %q networks %+v", p.Name, nets)
	}
}

func TestConfigHash(t *testing.T) {
	s := types.ServiceConfig{Name: "a"}
	s.Image = "busybox"
	h := ConfigHash(s)
	three := 3
	s.Scale = &three
	if ConfigHash(s) != h {
		t.Fatal("scale changed the configuration hash")
	}
	s.Command = types.ShellCommand{"true"}
	if ConfigHash(s) == h {
		t.Fatal("a new command kept the configuration hash")
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name, file, want string
	}{
		{"supported", `services:
  a:
    image: busybox
    command: [sh]
    ports: ["8080:80"]
    healthcheck: {test: [CMD, "true"], interval: 1s, retries: 3}
    deploy: {replicas: 2, resources: {limits: {cpus: "0.5", memory: 64M}}}
    depends_on: {b: {condition: service_healthy}}
    ulimits: {nofile: {soft: 10, hard: 20}}
    volumes: [{type: tmpfs, target: /t, tmpfs: {size: 1000}}]
  b: {image: busybox, networks: {default: {aliases: [x]}}}
`, ""},
		{"build", "services:\n  a: {build: ., image: x}\n", "service a: build"},
		{"no image", "services:\n  a: {command: [x]}\n", "neither an image nor a build"},
		{"secrets", "services:\n  a: {image: x, secrets: [s]}\nsecrets: {s: {file: ./s}}\n", "secrets; service a: secrets"},
		{"nested", "services:\n  a: {image: x, deploy: {placement: {constraints: [a]}}, healthcheck: {test: [CMD, x], start_interval: 1s}}\n", "service a: deploy.placement, healthcheck.start_interval"},
		{"values", "services:\n  a: {image: x, network_mode: \"service:b\", logging: {driver: syslog}}\n  b: {image: x}\n", "service a: logging.driver syslog, network_mode service:b"},
		{"network driver", "services:\n  a: {image: x}\nnetworks: {n: {driver: overlay}}\n", "network n: driver overlay"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, map[string]string{"compose.yaml": c.file}, LoadOptions{Name: "p"})
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n")):
				t.Fatalf("error %v, want one line with %q", err, c.want)
			}
		})
	}
}

func TestCheckNetworksDevices(t *testing.T) {
	p, err := load(t, map[string]string{"compose.yaml": `services:
  a: {image: x, devices: ["/dev/null:/dev/n:rw"]}
networks:
  n: {ipam: {config: [{subnet: 10.99.0.0/24, gateway: 10.99.0.1}]}}
`}, LoadOptions{Name: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Networks["n"].Ipam.Config[0].Subnet != "10.99.0.0/24" {
		t.Fatalf("ipam %+v", p.Networks["n"].Ipam)
	}
	_, err = load(t, map[string]string{"compose.yaml": `services:
  a: {image: x}
networks:
  n: {ipam: {config: [{subnet: 10.99.0.0/24}, {subnet: 10.98.0.0/24}]}}
`}, LoadOptions{Name: "p"})
	if err == nil || !strings.Contains(err.Error(), "network n: ipam.config (more than one subnet)") {
		t.Fatalf("two subnets: %v", err)
	}
}
