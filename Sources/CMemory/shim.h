#ifndef CONSENTRY_CMEMORY_SHIM_H
#define CONSENTRY_CMEMORY_SHIM_H

#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

/* Asks the CPU to start loading the cache line at `address` for a read soon; it never faults.
   Swift has no prefetch of its own: hash tables larger than the caches use it to overlap
   the misses of a batch of lookups. */
static inline void consentry_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/* Asks the CPU to start loading the cache line at `address` to be written soon; it never
   faults. */
static inline void consentry_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

/* Which of 64 bytes end a CSV field, which are line feeds and quotes, and which are outside
   ASCII, a bit per byte. */
typedef struct {
    /* Bit i: byte i is the delimiter or a line feed. */
    uint64_t ends;
    /* Bit i: byte i is a line feed. */
    uint64_t feeds;
    /* Bit i: byte i is a double quote. */
    uint64_t quotes;
    /* Bit i: byte i has its top bit set. */
    uint64_t high;
} consentry_byte_masks;

/* 0x80 in each byte of `x` that is zero, 0 in the others: exact, no borrow crosses bytes. */
static inline uint64_t consentry_zero_bytes(uint64_t x) {
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
    return ~(((x & low7) + low7) | x | low7);
}

/* The top bits of the 8 bytes of `flags` (each 0x80 or 0) as 8 bits, byte 0 in bit 0: the
   multiplication's terms all land on different bits, so nothing carries into the top byte. */
static inline uint64_t consentry_byte_bits(uint64_t flags) {
    return ((flags >> 7) * 0x0102040810204080ULL) >> 56;
}

/* ``consentry_byte_masks64`` eight bytes at a time, for CPUs without SSE2 (ARM64 among
   them); little-endian only. Always compiled, so that the tests hold it to the same
   answers. */
static inline consentry_byte_masks consentry_byte_masks64_words(const uint8_t *bytes, uint8_t delimiter) {
    const uint64_t ones = 0x0101010101010101ULL;
    consentry_byte_masks m = {0, 0, 0, 0};
    for (int k = 0; k < 8; k++) {
        uint64_t w;
        __builtin_memcpy(&w, bytes + 8 * k, 8);
        uint64_t feeds = consentry_zero_bytes(w ^ (ones * '\n'));
        uint64_t ends = consentry_zero_bytes(w ^ (ones * delimiter)) | feeds;
        m.ends |= consentry_byte_bits(ends) << (8 * k);
        m.feeds |= consentry_byte_bits(feeds) << (8 * k);
        m.quotes |= consentry_byte_bits(consentry_zero_bytes(w ^ (ones * '"'))) << (8 * k);
        m.high |= consentry_byte_bits(w & 0x8080808080808080ULL) << (8 * k);
    }
    return m;
}

/* The masks of `bytes[0..<64]`. Swift's SIMD types have no way to turn a comparison into
   bits (SSE2's movemask), and without it building a block's bits costs more than the bits
   save; the CSV decoder finds its fields' ends, and quoted fields' closing quotes, with
   these. */
static inline consentry_byte_masks consentry_byte_masks64(const uint8_t *bytes, uint8_t delimiter) {
#if defined(__SSE2__)
    consentry_byte_masks m = {0, 0, 0, 0};
    const __m128i d = _mm_set1_epi8((char)delimiter);
    const __m128i lf = _mm_set1_epi8('\n');
    const __m128i quote = _mm_set1_epi8('"');
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(bytes + 16 * k));
        __m128i f = _mm_cmpeq_epi8(v, lf);
        __m128i e = _mm_or_si128(_mm_cmpeq_epi8(v, d), f);
        m.ends |= (uint64_t)(uint16_t)_mm_movemask_epi8(e) << (16 * k);
        m.feeds |= (uint64_t)(uint16_t)_mm_movemask_epi8(f) << (16 * k);
        m.quotes |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, quote)) << (16 * k);
        m.high |= (uint64_t)(uint16_t)_mm_movemask_epi8(v) << (16 * k);
    }
    return m;
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return consentry_byte_masks64_words(bytes, delimiter);
#else
    consentry_byte_masks m = {0, 0, 0, 0};
    for (int i = 0; i < 64; i++) {
        uint8_t c = bytes[i];
        m.ends |= (uint64_t)(c == delimiter || c == '\n') << i;
        m.feeds |= (uint64_t)(c == '\n') << i;
        m.quotes |= (uint64_t)(c == '"') << i;
        m.high |= (uint64_t)(c >> 7) << i;
    }
    return m;
#endif
}

/* 1 when this x86-64 CPU and its operating system support AVX-512BW (64-byte vectors
   compared into 64-bit masks), 0 otherwise, or on other CPUs. Asked once: a virtual
   machine's CPUID may trap to its host. */
static inline int consentry_has_avx512bw(void) {
#if defined(__x86_64__)
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return 0;
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    /* The OS saves the SSE, AVX and the three AVX-512 register states. */
    if ((lo & 0xE6) != 0xE6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & bit_AVX512F) && (b & bit_AVX512BW) ? 1 : 0;
#else
    return 0;
#endif
}

#if defined(__x86_64__)
/* ``consentry_byte_masks64`` with one 64-byte vector and mask registers: a fifth of the
   instructions of the SSE2 version. Only where ``consentry_has_avx512bw`` says so; compiled
   for AVX-512BW whatever the rest of the build targets, so it is a call, never inlined. */
__attribute__((target("avx512f,avx512bw")))
static inline consentry_byte_masks consentry_byte_masks64_avx512(const uint8_t *bytes, uint8_t delimiter) {
    const __m512i v = _mm512_loadu_si512((const void *)bytes);
    consentry_byte_masks m;
    m.feeds = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
    m.ends = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8((char)delimiter)) | m.feeds;
    m.quotes = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"'));
    m.high = _mm512_movepi8_mask(v);
    return m;
}
#endif

/* Which of 64 bytes stop a JSON string and which are outside ASCII, a bit per byte. */
typedef struct {
    /* Bit i: byte i is a quote, a backslash or a control byte (below 0x20). */
    uint64_t stops;
    /* Bit i: byte i has its top bit set. */
    uint64_t high;
} consentry_string_masks;

/* ``consentry_string_masks64`` eight bytes at a time, for CPUs without SSE2; little-endian
   only. Always compiled, so that the tests hold it to the same answers. */
static inline consentry_string_masks consentry_string_masks64_words(const uint8_t *bytes) {
    const uint64_t ones = 0x0101010101010101ULL;
    consentry_string_masks m = {0, 0};
    for (int k = 0; k < 8; k++) {
        uint64_t w;
        __builtin_memcpy(&w, bytes + 8 * k, 8);
        /* A byte below 0x20 is one whose top three bits are all zero. */
        uint64_t stops = consentry_zero_bytes(w ^ (ones * '"')) | consentry_zero_bytes(w ^ (ones * '\\'))
            | consentry_zero_bytes(w & 0xE0E0E0E0E0E0E0E0ULL);
        m.stops |= consentry_byte_bits(stops) << (8 * k);
        m.high |= consentry_byte_bits(w & 0x8080808080808080ULL) << (8 * k);
    }
    return m;
}

/* The masks of `bytes[0..<64]`: the JSON Lines decoder finds its strings' ends with these,
   one count of trailing zeros per string instead of a walk over its bytes. */
static inline consentry_string_masks consentry_string_masks64(const uint8_t *bytes) {
#if defined(__SSE2__)
    consentry_string_masks m = {0, 0};
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i control = _mm_set1_epi8(0x1F);
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(bytes + 16 * k));
        /* v <= 0x1F, unsigned: the smaller of the two is v itself. */
        __m128i c = _mm_cmpeq_epi8(_mm_min_epu8(v, control), v);
        __m128i s = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), c);
        m.stops |= (uint64_t)(uint16_t)_mm_movemask_epi8(s) << (16 * k);
        m.high |= (uint64_t)(uint16_t)_mm_movemask_epi8(v) << (16 * k);
    }
    return m;
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return consentry_string_masks64_words(bytes);
#else
    consentry_string_masks m = {0, 0};
    for (int i = 0; i < 64; i++) {
        uint8_t c = bytes[i];
        m.stops |= (uint64_t)(c == '"' || c == '\\' || c < 0x20) << i;
        m.high |= (uint64_t)(c >> 7) << i;
    }
    return m;
#endif
}
#if defined(__x86_64__)
/* ``consentry_string_masks64`` with one 64-byte vector, where ``consentry_has_avx512bw``
   says so (see ``consentry_byte_masks64_avx512``). */
__attribute__((target("avx512f,avx512bw")))
static inline consentry_string_masks consentry_string_masks64_avx512(const uint8_t *bytes) {
    const __m512i v = _mm512_loadu_si512((const void *)bytes);
    consentry_string_masks m;
    m.stops = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"')) | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\'))
        | _mm512_cmplt_epu8_mask(v, _mm512_set1_epi8(0x20));
    m.high = _mm512_movepi8_mask(v);
    return m;
}
#endif

/* ``consentry_line_feeds64`` eight bytes at a time, for CPUs without SSE2; little-endian
   only. Always compiled, so that the tests hold it to the same answers. */
static inline uint64_t consentry_line_feeds64_words(const uint8_t *bytes) {
    const uint64_t ones = 0x0101010101010101ULL;
    uint64_t feeds = 0;
    for (int k = 0; k < 8; k++) {
        uint64_t w;
        __builtin_memcpy(&w, bytes + 8 * k, 8);
        feeds |= consentry_byte_bits(consentry_zero_bytes(w ^ (ones * '\n'))) << (8 * k);
    }
    return feeds;
}

/* Which of `bytes[0..<64]` are line feeds, a bit per byte: the JSON Lines decoder finds
   its lines' ends with these, one count of trailing zeros per line, where a `memchr` call
   per line of a hundred bytes cost a tenth of the decoding. */
static inline uint64_t consentry_line_feeds64(const uint8_t *bytes) {
#if defined(__SSE2__)
    uint64_t feeds = 0;
    const __m128i lf = _mm_set1_epi8('\n');
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(bytes + 16 * k));
        feeds |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)) << (16 * k);
    }
    return feeds;
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return consentry_line_feeds64_words(bytes);
#else
    uint64_t feeds = 0;
    for (int i = 0; i < 64; i++) feeds |= (uint64_t)(bytes[i] == '\n') << i;
    return feeds;
#endif
}
/* The spellings `FieldText.parseBool` reads a word at a time, in the slots their folded words
   hash to (its comment says how they are laid out). Constants of the binary: a Swift table is
   made on first use, and checking that it was cost a call per value. The Swift tests make
   these tables again from the spellings. */
static inline uint64_t consentry_boolean_slot(uint64_t k) {
    static const uint64_t slots[16] = {
        0x8800000000000000ULL, 0x9100000000000031ULL, 0, 0x9900000000000079ULL,
        0, 0x8A00000000006F6EULL, 0x8100000000000030ULL, 0x9B00000000736579ULL,
        0x890000000000006EULL, 0, 0x9C00000065757274ULL, 0x9900000000000074ULL,
        0x8D000065736C6166ULL, 0, 0, 0x8900000000000066ULL,
    };
    return slots[k & 15];
}

/* The spellings `FieldText.parseLabelStatus` reads, as `consentry_boolean_slot`'s: two words
   a slot. */
static inline uint64_t consentry_status_word(uint64_t i) {
    static const uint64_t words[32] = {
        0, 0x8000000000000030ULL, 0, 0, 0, 0, 0x000000726F6A616DULL, 0x8000000000000005ULL,
        0x006E776F6E6B6E75ULL, 0x8000000000000037ULL, 0, 0, 0, 0, 0x6465736E6563696CULL, 0x8000000000000018ULL,
        0, 0, 0, 0, 0, 0, 0x64656E6769736E75ULL, 0x8000000000000028ULL,
        0, 0, 0x646E657065646E69ULL, 0x800000000000002BULL, 0, 0, 0, 0,
    };
    return words[i & 31];
}
#endif
