#ifndef CONSENTRY_CCPU_SHIM_H
#define CONSENTRY_CCPU_SHIM_H

/* Swift has no prefetch intrinsic. A plain load used as a prefetch holds up retirement
   until the line arrives; the prefetch instruction does not, so many misses can overlap. */
static inline void consentry_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}
#endif
