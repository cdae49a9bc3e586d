package client

// Owner identifies this process ("<pid>:<start time>") for a lease label, so
// that a later process can tell a lease held by a live operation from one
// left by a process that died.
func Owner() string { return selfOwner() }

// OwnerAlive reports whether the process an Owner string names still runs.
func OwnerAlive(owner string) bool { return ownerAlive(owner) }
