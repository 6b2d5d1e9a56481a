#ifndef CONSENTRY_CMEMORY_SHIM_H
#define CONSENTRY_CMEMORY_SHIM_H

/* Asks the CPU to start loading the cache line at `address` for a read soon; it never faults.
   Swift has no prefetch of its own: hash tables larger than the caches use it to overlap
   the misses of a batch of lookups. */
static inline void consentry_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}
#endif
