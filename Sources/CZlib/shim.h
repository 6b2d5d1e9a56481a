#ifndef CONSENTRY_CZLIB_SHIM_H
#define CONSENTRY_CZLIB_SHIM_H
/* zlib: the reference the tests and the gzip fuzz target hold GzipInflater to. */
#include <zlib.h>

/* inflateInit2 is a macro (it passes ZLIB_VERSION and sizeof(z_stream)), so Swift cannot call it. */
static inline int consentry_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

/* deflateInit2 is a macro too; the tests compress with it to check the inflater against zlib. */
static inline int consentry_deflateInit2(z_streamp strm, int level, int windowBits, int memLevel, int strategy) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, memLevel, strategy);
}
#endif
