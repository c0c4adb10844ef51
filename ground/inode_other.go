//go:build !unix

package ground

import "net"

// socketInode is not available here: no per-socket drop counts.
func socketInode(*net.UDPConn) (uint64, bool) { return 0, false }
