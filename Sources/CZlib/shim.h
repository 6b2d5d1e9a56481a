#ifndef CONSENTRY_CZLIB_SHIM_H
#define CONSENTRY_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 is a macro (it passes ZLIB_VERSION and sizeof(z_stream)), so Swift cannot call it. */
static inline int consentry_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
