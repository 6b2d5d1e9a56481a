// libFuzzer target for GzipInflater (ISA-L's inflate and the framing around it):
// `Scripts/fuzz gzip SECONDS`.
//
// The first input byte chooses the input chunk size, the output space per call, and whether
// the rest is a gzip file or raw DEFLATE to be wrapped in a valid gzip member (which reaches
// the DEFLATE decoding far more often than a mutated gzip file, most of which fail the header
// or CRC check). The inflater, fed in those chunks under AddressSanitizer, must accept exactly
// what zlib accepts, with the same output. See FuzzChecks.checkGzip in
// Tests/ConsentryEngineTests/Fuzz/GzipFuzzChecks.swift.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzTarget.run(data, size, FuzzChecks.checkGzip)
}
