import Foundation

/// A failure of a test's own machinery (a tool that failed, text that does not parse).
package struct TestFailure: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

/// The error `body` throws, or nil.
package func thrownError<T>(_ body: () throws -> T) -> (any Error)? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

/// A deterministic random generator (SplitMix64), so that failures reproduce.
package struct SeededRNG: RandomNumberGenerator {
    package var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Whether `data` is valid UTF-8.
package func isValidUTF8(_ data: Data) -> Bool {
    String(decoding: data, as: UTF8.self).utf8.elementsEqual(data)
}

/// Hex text (sqlite3's `hex()`) and bytes.
package enum Data8 {
    /// Decodes hex text into bytes.
    package static func hex(_ text: String) -> Data {
        var bytes = [UInt8]()
        var chars = Array(text.utf8)
        if chars.count % 2 == 1 { chars.removeLast() }
        func value(_ c: UInt8) -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return c - UInt8(ascii: "a") + 10
            }
        }
        var i = 0
        while i < chars.count {
            bytes.append(value(chars[i]) << 4 | value(chars[i + 1]))
            i += 2
        }
        return Data(bytes)
    }

    /// Upper-case hex text of `data`.
    package static func hexString(_ data: Data) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(data.count * 2)
        for b in data {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
