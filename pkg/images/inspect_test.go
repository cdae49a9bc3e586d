package images

import "testing"

func TestImageDocument(t *testing.T) {
	blob := []byte(`{"architecture":"amd64","os":"linux","created":"2024-05-06T07:08:09.5Z","author":"me","comment":"made by hand",
		"config":{"Env":["PATH=/bin"],"Cmd":["sh"],"Labels":{"a":"b"},"ExposedPorts":{"80/tcp":{}},"WorkingDir":"/w","User":"1000"},
		"rootfs":{"type":"layers","diff_ids":["sha256:aaa"]},"history":[{"comment":"older"}]}`)
	d, err := imageDocument("sha256:cfg", blob)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "sha256:cfg" || d.Created != "2024-05-06T07:08:09.5Z" || d.Architecture != "amd64" || d.Os != "linux" ||
		d.Comment != "made by hand" || d.Author != "me" || d.RepoTags == nil || d.RepoDigests == nil {
		t.Errorf("document: %+v", d)
	}
	c := d.Config
	if c.Labels["a"] != "b" || c.Cmd[0] != "sh" || c.WorkingDir != "/w" || c.User != "1000" || len(c.ExposedPorts) != 1 {
		t.Errorf("Config: %+v", c)
	}
	if d.RootFS.Type != "layers" || len(d.RootFS.Layers) != 1 || d.RootFS.Layers[0] != "sha256:aaa" {
		t.Errorf("RootFS: %+v", d.RootFS)
	}
	// Without a top-level comment (OCI configs), the last history entry's.
	d, err = imageDocument("sha256:x", []byte(`{"history":[{"comment":"first"},{"comment":"commit message"}]}`))
	if err != nil || d.Comment != "commit message" || d.Created != "0001-01-01T00:00:00Z" {
		t.Errorf("OCI config: %+v %v", d, err)
	}
}
