#ifndef CONSENTRY_CMEMORY_SHIM_H
#define CONSENTRY_CMEMORY_SHIM_H

#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Asks the CPU to start loading the cache line at `address` for a read soon; it never faults.
   Swift has no prefetch of its own: hash tables larger than the caches use it to overlap
   the misses of a batch of lookups. */
static inline void consentry_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/* Which of 64 bytes end a CSV field and which are outside ASCII, a bit per byte. */
typedef struct {
    /* Bit i: byte i is the delimiter or a line feed. */
    uint64_t ends;
    /* Bit i: byte i has its top bit set. */
    uint64_t high;
} consentry_byte_masks;

/* The masks of `bytes[0..<64]`. Swift's SIMD types have no way to turn a comparison into
   bits (SSE2's movemask), and without it building a block's bits costs more than the bits
   save; the CSV decoder finds its fields' ends with these. */
static inline consentry_byte_masks consentry_byte_masks64(const uint8_t *bytes, uint8_t delimiter) {
    consentry_byte_masks m = {0, 0};
#if defined(__SSE2__)
    const __m128i d = _mm_set1_epi8((char)delimiter);
    const __m128i lf = _mm_set1_epi8('\n');
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(bytes + 16 * k));
        __m128i e = _mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, lf));
        m.ends |= (uint64_t)(uint16_t)_mm_movemask_epi8(e) << (16 * k);
        m.high |= (uint64_t)(uint16_t)_mm_movemask_epi8(v) << (16 * k);
    }
#else
    for (int i = 0; i < 64; i++) {
        uint8_t c = bytes[i];
        m.ends |= (uint64_t)(c == delimiter || c == '\n') << i;
        m.high |= (uint64_t)(c >> 7) << i;
    }
#endif
    return m;
}
#endif
