// libFuzzer target for CSVDecoder: `Scripts/fuzz csv SECONDS`.
//
// The first four input bytes choose the configuration (delimiter, maxRecordBytes, columnFields,
// columnCount, BOM handling, start offset, lineOrigin); the rest is the CSV. The input is
// decoded whole, cut into chunks of 1, 2, 3, 7 and input-derived sizes, and with `emit`
// stopping the decoder after every record; all must give the same records, which must lie in
// the input at their offsets with the right line numbers, and agree with a simple reference
// reading of RFC 4180 when no record can be too long. See FuzzChecks.checkCSV in
// Tests/ConsentryEngineTests/Fuzz/FuzzRegressionTests.swift.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzTarget.run(data, size, FuzzChecks.checkCSV)
}
