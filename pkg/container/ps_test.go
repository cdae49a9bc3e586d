package container

import "testing"

func TestParseNetDev(t *testing.T) {
	const dev = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0:    1834      20    0    0    0     0          0         0      542       5    0    0    0     0       0          0
  eth1:     166       2    0    0    0     0          0         0       58       1    0    0    0     0       0          0
`
	if rx, tx := parseNetDev(dev); rx != 2000 || tx != 600 {
		t.Errorf("parseNetDev = %d, %d; want 2000, 600 (loopback excluded)", rx, tx)
	}
	if rx, tx := parseNetDev(""); rx != 0 || tx != 0 {
		t.Errorf("empty: %d, %d", rx, tx)
	}
}
