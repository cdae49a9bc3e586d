package network

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/lumper/lumper/pkg/api"
)

// TestNetworkIDAndLabels: a created network has a 64-hex ID and its labels,
// both kept across loads; Find takes a name, an ID or an ID prefix; a
// network without its metadata file still has a stable ID.
func TestNetworkIDAndLabels(t *testing.T) {
	s := NewStore(t.TempDir(), "")
	n, err := s.create("lab", settings{subnet: mustCIDR(t, "10.213.9.0/24")}, map[string]string{"env": "ci", "empty": ""})
	if err != nil {
		t.Fatal(err)
	}
	if !isHexID(n.ID) || !reflect.DeepEqual(n.Labels, map[string]string{"env": "ci", "empty": ""}) {
		t.Fatalf("created: ID %q labels %v", n.ID, n.Labels)
	}
	again, err := s.load("lab")
	if err != nil || again.ID != n.ID || again.Labels["env"] != "ci" || !again.Created.Equal(n.Created) {
		t.Fatalf("reloaded: %+v %v", again, err)
	}
	for _, ref := range []string{"lab", n.ID, n.ID[:12]} {
		if f, err := s.Find(ref); err != nil || f.Name != "lab" {
			t.Errorf("Find(%q) = %v, %v", ref, f, err)
		}
	}
	if f, err := s.Find("host"); err != nil || f.Driver != "host" || !isHexID(f.ID) {
		t.Errorf("Find(host) = %+v, %v", f, err)
	}
	var nf *NotFoundError
	if _, err := s.Find("nosuch"); !errors.As(err, &nf) || err.Error() != "No such network: nosuch" {
		t.Errorf("Find(nosuch) = %v", err)
	}
	if err := os.Remove(s.metaPath("lab")); err != nil {
		t.Fatal(err)
	}
	a, _ := s.load("lab")
	b, _ := s.load("lab")
	if !isHexID(a.ID) || a.ID != b.ID || a.ID == n.ID {
		t.Errorf("ID without metadata: %q then %q", a.ID, b.ID)
	}
	if err := s.Remove("lab"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.metaPath("lab")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("metadata left after Remove: %v", err)
	}
}

func TestResourceAndSummary(t *testing.T) {
	s := NewStore(t.TempDir(), "")
	n, err := s.create("lab", settings{subnet: mustCIDR(t, "10.213.9.0/24")}, map[string]string{"b": "2", "a": "1"})
	if err != nil {
		t.Fatal(err)
	}
	r := n.Resource()
	if r.Name != "lab" || r.ID != n.ID || r.Scope != "local" || r.Driver != "bridge" || len(r.IPAM.Config) != 1 ||
		r.IPAM.Config[0] != (api.IPAMConfig{Subnet: "10.213.9.0/24", Gateway: "10.213.9.1"}) || r.Labels["a"] != "1" ||
		r.Containers == nil || !strings.HasPrefix(r.Created, "20") || r.Options["com.docker.network.bridge.name"] != n.Bridge {
		t.Errorf("Resource = %+v", r)
	}
	sum := n.Summary()
	if sum.ID != n.ID || sum.Labels != "a=1,b=2" || sum.Label("b") != "2" || sum.Scope != "local" {
		t.Errorf("Summary = %+v", sum)
	}
	if got := s.Builtin(None).Resource(); got.Driver != "null" || len(got.IPAM.Config) != 0 || got.Created != api.ZeroTime {
		t.Errorf("none: %+v", got)
	}
}

func TestPortMap(t *testing.T) {
	ports := []api.Port{{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, {ContainerPort: 53, Protocol: "udp"}}
	want := map[string][]api.PortBinding{"80/tcp": {{HostIP: "127.0.0.1", HostPort: "8080"}}, "53/udp": {{HostIP: "0.0.0.0"}}}
	if got := PortMap(ports, true); !reflect.DeepEqual(got, want) {
		t.Errorf("PortMap bound = %v, want %v", got, want)
	}
	if got := PortMap(ports, false)["53/udp"]; len(got) != 1 || got[0] != (api.PortBinding{}) {
		t.Errorf("PortMap requested 53/udp = %v, want one empty binding", got)
	}
}
