package volume

import (
	"syscall"
	"unsafe"
)

var atFDCWD = -0x64

func utimensat(path string, ts []syscall.Timespec, flags int) error {
	p, err := syscall.BytePtrFromString(path)
	if err != nil {
		return err
	}
	_, _, errno := syscall.Syscall6(syscall.SYS_UTIMENSAT, uintptr(atFDCWD), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&ts[0])), uintptr(flags), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
