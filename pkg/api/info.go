package api

// SystemInfo is what `lumper info` (`lumper system info`) shows; --format
// templates see these fields, as Docker's `docker info --format` sees its
// own: the server's at the top ({{.ServerVersion}}, {{.Containers}},
// {{.Driver}}), lumper's own under .ClientInfo ({{.ClientInfo.ConfigFile}}).
// New fields may be added; none is removed or renamed.
type SystemInfo struct {
	// ServerVersion and ServerRevision are containerd's.
	ServerVersion  string `json:"ServerVersion"`
	ServerRevision string `json:"ServerRevision"`
	// Address is containerd's socket, Namespace lumper's namespace in it.
	Address   string `json:"Address"`
	Namespace string `json:"Namespace"`
	// Driver is the snapshotter images are unpacked into (Docker's name).
	Driver string `json:"Driver"`
	// Containers in the namespace, in total and by state (exited and
	// created ones count as stopped, as Docker's).
	Containers        int `json:"Containers"`
	ContainersRunning int `json:"ContainersRunning"`
	ContainersPaused  int `json:"ContainersPaused"`
	ContainersStopped int `json:"ContainersStopped"`
	// Images are the image names in the namespace.
	Images int `json:"Images"`
	// DataRoot holds lumper's own files (Docker's DockerRootDir).
	DataRoot string `json:"DataRoot"`
	// Warnings about the server (an old containerd, one with known escapes).
	Warnings   []string   `json:"Warnings"`
	ClientInfo ClientInfo `json:"ClientInfo"`
}

// ClientInfo is lumper's side of SystemInfo.
type ClientInfo struct {
	Version string `json:"Version"`
	// ConfigFile is the configuration file read, "" when there was none.
	ConfigFile string `json:"ConfigFile"`
	// Settings are the effective settings, each with where it came from.
	Settings []Setting `json:"Settings"`
}

// Setting is one effective setting of lumper.
type Setting struct {
	// Key is the setting's name in the configuration file (data_root).
	Key string `json:"Key"`
	// Value as the command uses it; lists are comma-separated.
	Value string `json:"Value"`
	// Source is where it came from: "flag", "env LUMPER_X", "file" or
	// "default".
	Source string `json:"Source"`
}
