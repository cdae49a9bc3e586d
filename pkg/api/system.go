package api

// DiskUsage is one row of `lumper system df`.
type DiskUsage struct {
	Type        string `json:"Type"`        // Images, Containers, Logs
	Total       int    `json:"TotalCount"`  // objects of this type
	Active      int    `json:"Active"`      // in use (images used by a container, running containers)
	Size        int64  `json:"Size"`        // bytes on disk, shared data counted once
	Reclaimable int64  `json:"Reclaimable"` // bytes a prune of the unused objects would free
}

// PruneReport is what a prune command removed.
type PruneReport struct {
	Deleted        []string `json:"Deleted"`                 // container IDs or image names
	ReleasedNames  []string `json:"ReleasedNames,omitempty"` // stale name reservations dropped
	SpaceReclaimed int64    `json:"SpaceReclaimed"`          // bytes
}
