// libFuzzer target for JSONLDecoder: `Scripts/fuzz jsonl SECONDS`.
//
// The first three input bytes choose the configuration (maxRecordBytes, key names as with
// --column, BOM handling, start offset, lineOrigin); the rest is the JSON Lines text. Besides
// the chunking invariants of the CSV target, every line is one record where it must be, and
// for ASCII lines the decoder's verdict (valid / invalid_json / not_an_object) and fields agree
// with JSONSerialization, except for Foundation's documented quirks (trailing commas, numbers
// beyond Double, UTF-16/32 guessing from NUL bytes, lone surrogates). See
// FuzzChecks.checkJSONL in Tests/ConsentryEngineTests/Fuzz/FuzzRegressionTests.swift.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzTarget.run(data, size, FuzzChecks.checkJSONL)
}
