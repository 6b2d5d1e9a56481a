import CMemory

/// Builds the bit masks of 64-byte blocks that the CSV and JSON Lines decoders find their
/// fields' and strings' ends with, using the widest vectors the CPU has.
///
/// With AVX-512BW a block is one load and four comparisons into mask registers, a fifth of
/// the SSE2 version's instructions; those functions are compiled for AVX-512 whatever the
/// build targets, so they are calls, taken only where the CPU and the OS support them.
struct BlockMasks {
    /// Whether this CPU and its OS support AVX-512BW: asked once per process, as a virtual
    /// machine's CPUID may trap to its host.
    static let cpuHasAVX512 = consentry_has_avx512bw() != 0

    /// A stored copy of ``cpuHasAVX512``: reading the global checks each time that it was
    /// made.
    let usesAVX512: Bool

    init() {
        usesAVX512 = BlockMasks.cpuHasAVX512
    }

    /// The field ends, line feeds, quotes and non-ASCII bytes of `bytes[0..<64]`.
    @inline(__always)
    func csv(_ bytes: UnsafePointer<UInt8>, delimiter: UInt8) -> consentry_byte_masks {
        #if arch(x86_64)
        if usesAVX512 { return consentry_byte_masks64_avx512(bytes, delimiter) }
        #endif
        return consentry_byte_masks64(bytes, delimiter)
    }

    /// The bytes that stop a JSON string, and the non-ASCII bytes, of `bytes[0..<64]`.
    @inline(__always)
    func jsonString(_ bytes: UnsafePointer<UInt8>) -> consentry_string_masks {
        #if arch(x86_64)
        if usesAVX512 { return consentry_string_masks64_avx512(bytes) }
        #endif
        return consentry_string_masks64(bytes)
    }
}
