#ifndef CONSENTRY_CFILEIO_SHIM_H
#define CONSENTRY_CFILEIO_SHIM_H

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* Starts the kernel writing the dirty pages of `fd` without waiting for them. Swift's Glibc
   module does not export sync_file_range(2) (it needs _GNU_SOURCE), hence the system call.
   Returns 0, or -1 with errno set; does nothing elsewhere than Linux. */
static inline int consentry_start_writeback(int fd) {
#if defined(__linux__) && defined(SYS_sync_file_range)
    return (int)syscall(SYS_sync_file_range, fd, (long long)0, (long long)0, 2u /* SYNC_FILE_RANGE_WRITE */);
#else
    (void)fd;
    return 0;
#endif
}
#endif
