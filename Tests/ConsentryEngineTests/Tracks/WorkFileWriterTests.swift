import Foundation
import Testing
import TestSupport
@testable import ConsentryEngine

@Suite struct WorkFileWriterTests {
    @Test("a file holds exactly the bytes written, across many buffer flushes, whether each is written back at once or not",
          arguments: [false, true])
    func bytesSurviveFlushes(writesBack: Bool) throws {
        let dir = try TempDir("workfile")
        let path = dir.file("state.bin")
        let writer = try WorkFileWriter(path: path, bufferBytes: 4096, writesBack: writesBack)
        var expected: [UInt8] = []
        var generator = SystemRandomNumberGenerator()
        for round in 0..<500 {
            // Records of uneven sizes, through both ways of writing.
            let record = (0..<(1 + round % 97)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if round % 2 == 0 {
                try writer.write(record)
            } else {
                let at = try writer.reserve(record.count)
                record.withUnsafeBytes { at.copyMemory(from: $0.baseAddress!, byteCount: record.count) }
                writer.advance(record.count)
            }
            expected += record
        }
        try writer.close(durable: true)
        #expect(writer.bytesWritten == expected.count)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == expected)
    }
}
