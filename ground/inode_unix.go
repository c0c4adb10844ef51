//go:build unix

package ground

import (
	"net"
	"syscall"
)

// socketInode is the inode of c's socket, the key of /proc/net/udp.
func socketInode(c *net.UDPConn) (uint64, bool) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, false
	}
	var st syscall.Stat_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Fstat(int(fd), &st) }); err != nil || serr != nil {
		return 0, false
	}
	return uint64(st.Ino), true
}
