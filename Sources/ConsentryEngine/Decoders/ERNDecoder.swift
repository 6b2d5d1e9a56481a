#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CLibXML2

/// Decodes one DDEX ERN `NewReleaseMessage` (ERN 3.8 to 4.3.2), fed in chunks of any size,
/// into one ``ERNTrack`` per `SoundRecording` (contract §1.5).
///
/// The XML is parsed by libxml2's SAX2 push parser, which parses the input as it arrives
/// and checks well-formedness; ``ERNMessageCollector`` maps the elements to fields. Events come
/// out only from ``finish(emit:)``: in ERN 4 the labels (ReleaseList) follow the recordings
/// (ResourceList), and a message that turns out not to be well-formed at its last byte is
/// one ``InvalidMessage`` and no tracks. Memory is therefore bounded by the message's size
/// (its recordings, parties and releases), not by a chunk's.
///
/// Positions are exact byte offsets in the input: libxml2 reports how many input bytes it has
/// consumed, and the decoder keeps the raw bytes from the earliest position it may still
/// need (the last line counted, an open recording's start tag), counting line feeds itself.
/// A start tag cannot contain a raw `<` (attribute values must escape it), so its first byte
/// is the last `<` before the parser's position when the element is reported.
///
/// A message in UTF-8 (declared, or by default) is checked for UTF-8 by the decoder before
/// libxml2 sees it, and libxml2 gets `?` for each byte that is not UTF-8: its push parser
/// words (and places) a broken sequence differently depending on where chunks end. The first
/// problem in the message is reported: libxml2's first error if it lies before the first
/// such byte, else that byte, by offset. A message declaring another encoding in which ASCII
/// bytes mean ASCII (ISO-8859-1, windows-1252…) is converted by libxml2. UTF-16, UTF-32 and
/// EBCDIC messages are refused as invalid: byte offsets and line feeds could not be found in
/// their raw bytes.
///
/// libxml2 gets the input in blocks that end at fixed offsets (multiples of 64 KiB, and the
/// end), whatever the chunks fed: its push parser is not quite independent of where chunks
/// end (a comment opened as `<!-->` is refused when it arrives a byte at a time), and a
/// message must give the same events however it is cut.
///
/// One thread at a time: the pipeline hands a decoder from chunk to chunk of one input.
public final class ERNDecoder {
    /// What a message yields: its tracks, or one reason it cannot be read.
    public enum Event: Sendable, Equatable {
        case track(ERNTrack)
        case invalidMessage(InvalidMessage)
    }

    /// A message that is not well-formed XML or not an ERN NewReleaseMessage (the pipeline's
    /// `invalid_xml` reject).
    public struct InvalidMessage: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1-based line of the problem.
        public var line: Int
        /// 0-based byte offset of the problem: where the parser stopped, or the root tag's `<`.
        public var offset: Int
        /// What is wrong and what to do.
        public var message: String
        /// At most 200 bytes of raw input around the problem (from the start of its line, or
        /// 100 bytes before it on a longer line), as valid UTF-8.
        public var excerpt: String

        public init(line: Int, offset: Int, message: String, excerpt: String) {
            self.line = line
            self.offset = offset
            self.message = message
            self.excerpt = excerpt
        }

        public var description: String { "line \(line): \(message)" }
    }

    /// libxml2 is handed input in blocks ending at multiples of this (and at the end).
    let blockBytes: Int
    /// Excerpts hold at most this many bytes (as `rejects.excerpt`, contract §4).
    public static let excerptBytes = 200
    /// Bytes before an error's position that its excerpt may start at.
    private static let errorContext = 100
    /// The ERN versions contract §1.5 covers, as `major * 100 + minor * 10 + patch`.
    private static let versions = 380...432
    private static let namespacePrefix = "http://ddex.net/xml/ern/"

    /// libxml2 must be initialised once before threads use it.
    private static let libraryReady: Void = { xmlInitParser() }()

    private var parser: xmlParserCtxtPtr?
    private let collector = ERNMessageCollector()
    /// The parser's interned local names (libxml2 hands out one pointer per distinct name
    /// in its dictionary), so that a name is recognised by its address.
    private var names: [UInt: ERNMessageCollector.Name] = [:]
    private var depth = 0
    private var sawRoot = false
    private var finished = false

    /// Raw input from `retainedStart` to `fed`.
    private var retained: [UInt8] = []
    private var retainedStart = 0
    private var fed = 0
    /// Input handed to libxml2. It gets nothing before the encoding is known (the first bytes
    /// and the XML declaration), in UTF-8 nothing past the last byte checked, and whole
    /// blocks until the end.
    private var passed = 0
    private var headChecked = false
    /// Whether the decoder checks UTF-8 itself; nil until the XML declaration is read.
    private var checksUTF8: Bool?
    /// Input checked as UTF-8 up to here (a character cut by a chunk's end waits).
    private var validUpTo = 0
    /// The first byte that is not UTF-8, its line and where its excerpt starts.
    private var invalidUTF8: (offset: Int, line: Int, excerptStart: Int)?
    /// Bytes not yet handed to libxml2 that it gets as `?`.
    private var substitutions: [Int] = []
    /// The XML declaration is looked for in this many bytes at most.
    private static let declarationLimit = 1024
    private var terminating = false

    /// Line feeds are counted up to `lineCursor`, which is on line `lineNumber`, whose first
    /// byte is at `lineStart`.
    private var lineCursor = 0
    private var lineNumber = 1
    private var lineStart = 0

    private var captureSlot = ERNMessageCollector.Slot.none
    private var captureDepth = 0
    private var capture: [UInt8] = []

    /// The recording whose end tag is awaited for its excerpt.
    private var openRecording: (index: Int, offset: Int, depth: Int)?

    private var failure: InvalidMessage?
    /// Where the failure's excerpt starts, until enough input has come to cut it.
    private var failureExcerptStart: Int?

    public convenience init() {
        self.init(blockBytes: 64 << 10)
    }

    /// `blockBytes`: the tests make libxml2 see many small blocks.
    init(blockBytes: Int) {
        precondition(blockBytes > 0)
        self.blockBytes = blockBytes
        _ = ERNDecoder.libraryReady
        capture.reserveCapacity(256)
        var handler = ERNDecoder.makeHandler()
        let context = Unmanaged.passUnretained(self).toOpaque()
        parser = xmlCreatePushParserCtxt(&handler, context, nil, 0, nil)
        guard let parser, let dict = parser.pointee.dict else {
            failure = InvalidMessage(line: 1, offset: 0, message: "libxml2 could not create an XML parser (out of memory?); retry with more memory", excerpt: "")
            return
        }
        for name in ERNMessageCollector.Name.allCases where name != .other {
            let interned = name.localName.withCString { text in
                text.withMemoryRebound(to: xmlChar.self, capacity: name.localName.utf8.count + 1) {
                    xmlDictLookup(dict, $0, -1)
                }
            }
            if let interned { names[UInt(bitPattern: interned)] = name }
        }
    }

    deinit {
        if let parser { xmlFreeParserCtxt(parser) }
    }

    // MARK: - Input

    /// Feeds the next bytes of the message.
    public func feed(_ bytes: UnsafeBufferPointer<UInt8>) {
        precondition(!finished, "ERNDecoder.feed after finish")
        guard bytes.count > 0 else { return }
        if failure != nil && failureExcerptStart == nil { fed += bytes.count; return }
        retained.append(contentsOf: bytes)
        fed += bytes.count
        if failure == nil { advance(atEnd: false) }
        if failure != nil { cutFailureExcerpt(atEnd: false) }
    }

    /// Ends the message; emits its tracks in document order, or its one invalid-message event.
    public func finish(emit: (Event) -> Void) {
        precondition(!finished, "ERNDecoder.finish called twice")
        if failure == nil { advance(atEnd: true) }
        if failure == nil && !sawRoot {
            // libxml2 reports an empty document itself; this only guards the contract.
            fail(line: lineNumber, offset: fed, "the message has no root element; an ERN message is one NewReleaseMessage element", excerptFrom: fed)
        }
        finished = true
        if failure != nil { cutFailureExcerpt(atEnd: true) }
        if let parser { xmlFreeParserCtxt(parser) }
        parser = nil
        if let failure {
            emit(.invalidMessage(failure))
        } else {
            for track in collector.tracks() { emit(.track(track)) }
        }
        retained = []
    }

    /// Hands libxml2 what it may parse now; at the end, ends its parse.
    private func advance(atEnd: Bool) {
        if !headChecked {
            if fed < 4 && !atEnd { return }
            checkHead()
            if failure != nil { return }
        }
        if checksUTF8 == nil {
            guard let utf8 = declaresUTF8(atEnd: atEnd) else { return }
            checksUTF8 = utf8
        }
        var limit = fed
        if checksUTF8 == true {
            checkUTF8(atEnd: atEnd)
            limit = validUpTo
        }
        if !atEnd { limit -= limit % blockBytes }
        parse(upTo: limit, terminate: false)
        if failure != nil { return }
        if atEnd {
            terminating = true
            parse(upTo: fed, terminate: true)
            if failure != nil { return }
            // libxml2 found nothing before the end: the first byte that is not UTF-8 is the problem.
            if invalidUTF8 != nil { failUTF8() }
            if failure != nil { return }
        }
        advanceLines(to: parserPosition())
        trimRetained()
    }

    private func failUTF8() {
        guard let bad = invalidUTF8 else { return }
        let byte = String(retained[bad.offset - retainedStart], radix: 16, uppercase: true)
        fail(line: bad.line, offset: bad.offset,
             "not well-formed XML: byte 0x\(byte) at offset \(bad.offset) is not UTF-8, the message's encoding (as its XML declaration says, or by default): re-encode the message as UTF-8, or declare its real encoding",
             excerptFrom: bad.excerptStart)
    }

    /// Refuses encodings whose raw bytes do not show ASCII as ASCII.
    private func checkHead() {
        headChecked = true
        let head = Array(retained.prefix(4))
        let bom16 = head.count >= 2 && (head[0] == 0xFE && head[1] == 0xFF || head[0] == 0xFF && head[1] == 0xFE)
        if bom16 || head.contains(0) {
            fail(line: 1, offset: 0, "the message is not UTF-8 (it starts like UTF-16 or UTF-32 text); consentry reads ERN messages encoded in UTF-8: re-encode it as UTF-8", excerptFrom: nil)
        } else if head == [0x4C, 0x6F, 0xA7, 0x94] {
            fail(line: 1, offset: 0, "the message is encoded in EBCDIC; consentry reads ERN messages encoded in UTF-8: re-encode it as UTF-8", excerptFrom: nil)
        }
    }

    /// Hands libxml2 the bytes up to `limit` it has not seen.
    private func parse(upTo limit: Int, terminate: Bool) {
        guard let parser, limit > passed || terminate else { return }
        let from = passed - retainedStart
        let end = limit - retainedStart
        // Positions reported during the call may lie anywhere in what it hands over.
        passed = limit
        if substitutions.isEmpty {
            retained.withUnsafeBufferPointer { buffer in
                ERNDecoder.push(parser, UnsafeBufferPointer(rebasing: buffer[from..<end]), terminate: terminate) { self.failure != nil }
            }
        } else {
            var copy = Array(retained[from..<end])
            for offset in substitutions where offset < limit { copy[offset - retainedStart - from] = UInt8(ascii: "?") }
            substitutions.removeAll { $0 < limit }
            copy.withUnsafeBufferPointer { buffer in
                ERNDecoder.push(parser, buffer, terminate: terminate) { self.failure != nil }
            }
        }
    }

    /// Calls xmlParseChunk over `bytes` (in pieces its `int` size can hold).
    private static func push(_ parser: xmlParserCtxtPtr, _ bytes: UnsafeBufferPointer<UInt8>, terminate: Bool,
                             stopped: () -> Bool) {
        var from = 0
        repeat {
            let count = min(bytes.count - from, 1 << 28)
            let start = bytes.baseAddress.map { UnsafeRawPointer($0 + from).assumingMemoryBound(to: CChar.self) }
            let last = terminate && from + count == bytes.count
            if count > 0 || last {
                _ = xmlParseChunk(parser, count > 0 ? start : nil, Int32(count), last ? 1 : 0)
            }
            from += count
        } while from < bytes.count && !stopped()
    }

    /// Whether the message is UTF-8 by its XML declaration (or for want of one); nil while
    /// the declaration may still be incomplete.
    private func declaresUTF8(atEnd: Bool) -> Bool? {
        let start = retained.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        let open = Array("<?xml".utf8)
        let available = fed - start
        if available < open.count + 1 { return atEnd ? true : nil }
        guard retained[start..<(start + open.count)].elementsEqual(open),
              [0x20, 0x09, 0x0D, 0x0A].contains(retained[start + open.count]) else { return true }
        let window = retained[start..<min(fed, start + ERNDecoder.declarationLimit)]
        guard let close = ERNDecoder.find(Array("?>".utf8), in: window) else {
            // libxml2 will report the unterminated declaration.
            return atEnd || window.count >= ERNDecoder.declarationLimit ? true : nil
        }
        let declaration = retained[start..<close]
        guard let key = ERNDecoder.find(Array("encoding".utf8), in: declaration) else { return true }
        var p = key + 8
        func skipSpace() { while p < close && [0x20, 0x09, 0x0D, 0x0A].contains(retained[p]) { p += 1 } }
        skipSpace()
        guard p < close, retained[p] == UInt8(ascii: "=") else { return true }
        p += 1
        skipSpace()
        guard p < close, retained[p] == UInt8(ascii: "\"") || retained[p] == UInt8(ascii: "'") else { return true }
        let quote = retained[p]
        let valueStart = p + 1
        guard let valueEnd = retained[valueStart..<close].firstIndex(of: quote) else { return true }
        let name = String(decoding: retained[valueStart..<valueEnd], as: UTF8.self).lowercased()
        return name == "utf-8" || name == "utf8"
    }

    /// The index of the first occurrence of `needle` in `haystack` (indices of `retained`).
    private static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        var i = haystack.startIndex
        while i + needle.count <= haystack.endIndex {
            if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// Checks UTF-8 from `validUpTo` on (RFC 3629: no overlong forms, surrogates or values
    /// past U+10FFFF), stopping at a character the input does not yet complete (at the end,
    /// its bytes are not UTF-8). Each byte that starts no valid sequence is listed for
    /// substitution; the first one is remembered with its line.
    private func checkUTF8(atEnd: Bool) {
        var bad: [Int] = []
        retained.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress! - retainedStart
            var p = validUpTo
            let end = fed
            while p < end {
                // Eight ASCII bytes at a time.
                while p + 8 <= end && UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    p += 8
                }
                guard p < end else { break }
                let lead = base[p]
                if lead < 0x80 { p += 1; continue }
                let (need, low, high) = FieldText.utf8Sequence(lead: lead) ?? (0, 0x80, 0xBF)
                var k = 1
                var valid = need > 0
                while valid && k <= need && p + k < end {
                    let c = base[p + k]
                    let (lo, hi) = k == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
                    if c < lo || c > hi { valid = false }
                    k += 1
                }
                if valid && k <= need {
                    // The character's end has not come yet.
                    if !atEnd { break }
                    valid = false
                }
                if valid {
                    p += need + 1
                } else {
                    // The lead byte is not UTF-8; what follows it is checked afresh.
                    bad.append(p)
                    p += 1
                }
            }
            validUpTo = p
        }
        if bad.isEmpty { return }
        substitutions += bad
        if invalidUTF8 == nil {
            let (line, start) = lineOf(bad[0])
            invalidUTF8 = (bad[0], line, max(start, bad[0] - ERNDecoder.errorContext))
        }
    }

    /// Drops raw bytes no position, excerpt or line count can need any more.
    private func trimRetained() {
        var keep = min(passed, max(lineStart, lineCursor - ERNDecoder.errorContext))
        if let open = openRecording { keep = min(keep, open.offset) }
        if let bad = invalidUTF8 { keep = min(keep, bad.excerptStart) }
        let drop = keep - retainedStart
        // Dropping moves what is kept to the front: do it when it is worth the copy.
        if drop > 0 && (drop >= 1 << 16 || drop * 2 >= retained.count) {
            retained.removeFirst(drop)
            retainedStart = keep
        }
    }

    // MARK: - Positions

    /// The input offset libxml2 has parsed up to, within what the decoder can see.
    private func parserPosition() -> Int {
        guard let parser else { return fed }
        let consumed = Int(xmlByteConsumed(parser))
        return min(max(consumed, lineCursor), passed)
    }

    /// Counts the line feeds up to `position` (at or after `lineCursor`).
    private func advanceLines(to position: Int) {
        guard position > lineCursor else { return }
        (lineNumber, lineStart) = lineOf(position)
        lineCursor = position
    }

    /// The line of `position` (at or after `lineCursor`) and the offset where it starts.
    private func lineOf(_ position: Int) -> (line: Int, start: Int) {
        var line = lineNumber
        var start = lineStart
        retained.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress! - retainedStart
            var p = lineCursor
            while p < position, let hit = memchr(base + p, 0x0A, position - p) {
                p = base.distance(to: hit.assumingMemoryBound(to: UInt8.self)) + 1
                line += 1
                start = p
            }
        }
        return (line, start)
    }

    /// Line and offset of the start tag just reported.
    private func startTagPosition() -> (line: Int, offset: Int) {
        let position = parserPosition()
        let floor = max(retainedStart, lineCursor)
        var p = position - 1
        while p >= floor && retained[p - retainedStart] != UInt8(ascii: "<") { p -= 1 }
        if p < floor { p = floor }
        advanceLines(to: p)
        return (lineNumber, p)
    }

    // MARK: - Excerpts

    /// At most ``excerptBytes`` of retained input from `start` (moved past a character cut
    /// in two) to `end`, as valid UTF-8.
    private func excerpt(from start: Int, to end: Int) -> String {
        let s = max(start, retainedStart)
        let e = min(end, fed, s + ERNDecoder.excerptBytes)
        guard s < e else { return "" }
        return retained.withUnsafeBufferPointer { buffer in
            let b = UnsafeBufferPointer(rebasing: buffer[(s - retainedStart)..<(e - retainedStart)])
            // An error's excerpt may start inside a character.
            var first = 0
            while first < b.count && first < 3 && b[first] & 0xC0 == 0x80 { first += 1 }
            var cut = b.count
            // A character left incomplete at the end would decode to U+FFFD, which is not in
            // the input: drop it.
            var lead = cut - 1
            var continuations = 0
            while lead >= first && continuations < 3 && b[lead] & 0xC0 == 0x80 {
                lead -= 1
                continuations += 1
            }
            if lead >= first && b[lead] >= 0xC0 {
                let needed = b[lead] >= 0xF0 ? 3 : b[lead] >= 0xE0 ? 2 : 1
                if continuations < needed { cut = lead }
            }
            var text = String(decoding: UnsafeBufferPointer(rebasing: b[first..<max(first, cut)]), as: UTF8.self)
            // Bytes of another encoding become U+FFFD (3 bytes each) and can pass the limit.
            while text.utf8.count > ERNDecoder.excerptBytes { text.removeLast() }
            return text
        }
    }

    /// Cuts the failure's excerpt once 200 bytes are there (or the input ended).
    private func cutFailureExcerpt(atEnd: Bool) {
        guard let start = failureExcerptStart else { return }
        if !atEnd && fed < start + ERNDecoder.excerptBytes { return }
        failure?.excerpt = excerpt(from: start, to: start + ERNDecoder.excerptBytes)
        failureExcerptStart = nil
        retained = []
        retainedStart = fed
    }

    private func fail(line: Int, offset: Int, _ message: String, excerptFrom: Int?) {
        guard failure == nil else { return }
        failure = InvalidMessage(line: line, offset: offset, message: message, excerpt: "")
        failureExcerptStart = excerptFrom ?? offset
        if let parser { xmlStopParser(parser) }
    }

    // MARK: - SAX events

    private static func decoder(_ context: UnsafeMutableRawPointer?) -> ERNDecoder {
        Unmanaged<ERNDecoder>.fromOpaque(context!).takeUnretainedValue()
    }

    private static func makeHandler() -> xmlSAXHandler {
        var handler = xmlSAXHandler()
        handler.initialized = UInt32(XML_SAX2_MAGIC)
        handler.startElementNs = { context, localname, _, uri, _, _, attributeCount, _, attributes in
            ERNDecoder.decoder(context).startElement(localname, uri, Int(attributeCount), attributes)
        }
        handler.endElementNs = { context, _, _, _ in
            ERNDecoder.decoder(context).endElement()
        }
        handler.characters = { context, text, length in
            ERNDecoder.decoder(context).characters(text, Int(length))
        }
        handler.ignorableWhitespace = handler.characters
        handler.cdataBlock = { context, text, length in
            ERNDecoder.decoder(context).characters(text, Int(length))
        }
        // Errors and warnings come here instead of standard error.
        handler.serror = { context, error in
            // `error?.pointee`: libxml2 2.12 made the pointer const.
            ERNDecoder.decoder(context).parserError(error?.pointee)
        }
        return handler
    }

    private func startElement(_ localname: UnsafePointer<xmlChar>?, _ uri: UnsafePointer<xmlChar>?,
                              _ attributeCount: Int, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?) {
        depth += 1
        guard failure == nil, let localname else { return }
        let name = names[UInt(bitPattern: localname)] ?? .other
        if depth == 1 {
            sawRoot = true
            checkRoot(localname, uri)
            if failure != nil { return }
        }
        var flags: ERNMessageCollector.Attributes = []
        if name.needsAttributes, attributeCount > 0, let attributes {
            flags = ERNDecoder.attributeFlags(attributeCount, attributes)
        }
        switch collector.start(name, attributes: flags) {
        case .none:
            break
        case .recording:
            let (line, offset) = startTagPosition()
            collector.setPosition(line: line, offset: offset)
            openRecording = (collector.currentRecording, offset, depth)
        case let slot:
            captureSlot = slot
            captureDepth = depth
            capture.removeAll(keepingCapacity: true)
        }
    }

    private func endElement() {
        defer { depth -= 1 }
        guard failure == nil else { return }
        if captureSlot != .none && captureDepth == depth {
            collector.text(captureSlot, ERNDecoder.trimmed(capture))
            captureSlot = .none
        }
        if let open = openRecording, open.depth == depth {
            // The parser is past the end tag: the element's bytes are all retained.
            let end = parserPosition()
            collector.setExcerpt(excerpt(from: open.offset, to: end), recording: open.index)
            openRecording = nil
        }
        collector.end()
    }

    private func characters(_ text: UnsafePointer<xmlChar>?, _ length: Int) {
        guard captureSlot != .none, depth == captureDepth, let text, length > 0 else { return }
        capture.append(contentsOf: UnsafeBufferPointer(start: text, count: length))
    }

    private func parserError(_ error: xmlError?) {
        guard failure == nil, let error, error.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
        // libxml2's push parser words a message cut short as "Extra content at the end"; the
        // problem is where the input ends.
        let truncated = terminating && error.code == Int32(XML_ERR_DOCUMENT_END.rawValue) && depth > 0
        let position = truncated ? passed : parserPosition()
        if let bad = invalidUTF8, position >= bad.offset {
            // The byte that is not UTF-8 comes first (libxml2 saw a `?` there).
            failUTF8()
            return
        }
        advanceLines(to: position)
        let excerptStart = max(lineStart, position - ERNDecoder.errorContext)
        if truncated {
            fail(line: lineNumber, offset: position,
                 "not well-formed XML: the message ends inside its root element (\(depth) element\(depth == 1 ? " is" : "s are") still open): it is truncated; deliver the whole message",
                 excerptFrom: excerptStart)
            return
        }
        // libxml2 says "warning" when the message has an external DTD or parameter entities
        // (the entity might be declared where it did not look); it reports it as an error.
        if error.code == Int32(XML_ERR_UNDECLARED_ENTITY.rawValue) || error.code == Int32(XML_WAR_UNDECLARED_ENTITY.rawValue) {
            // Well-formed, maybe, with the entity declared in its DTD: that is never read.
            let name = error.str1.map { String(cString: $0) } ?? "?"
            fail(line: lineNumber, offset: position,
                 "the message uses the entity '\(name)', which is not one of XML's five: consentry expands no entity a DTD declares (nor reads a DTD), so that a message cannot make it read other files or expand without bound; deliver the message with the text written out",
                 excerptFrom: excerptStart)
            return
        }
        var text = error.message.map { String(cString: $0) } ?? "error \(error.code)"
        while let last = text.last, last == "\n" || last == " " { text.removeLast() }
        fail(line: lineNumber, offset: position,
             "not well-formed XML: \(text); fix the message (or ask its sender to deliver it again)",
             excerptFrom: excerptStart)
    }

    /// Refuses a root that is not an ERN 3.8–4.3.2 NewReleaseMessage.
    private func checkRoot(_ localname: UnsafePointer<xmlChar>, _ uri: UnsafePointer<xmlChar>?) {
        let local = String(cString: localname)
        let namespace = uri.map { String(cString: $0) } ?? ""
        let (line, offset) = startTagPosition()
        let shown = namespace.isEmpty ? "no namespace" : "namespace \(namespace)"
        var problem: String? = nil
        if local != "NewReleaseMessage" || !namespace.hasPrefix(ERNDecoder.namespacePrefix) {
            problem = "the root element is <\(local)> (\(shown)), not a DDEX ERN NewReleaseMessage (namespace \(ERNDecoder.namespacePrefix)NNN); only ERN messages can be scanned as ddex: check the file, or its --input-format"
        } else {
            let digits = namespace.dropFirst(ERNDecoder.namespacePrefix.count)
            if !(2...3).contains(digits.count) || !digits.allSatisfy({ $0.isASCII && $0.isNumber })
                || !ERNDecoder.versions.contains(ERNDecoder.version(digits) ?? 0) {
                problem = "the message is ERN \(digits) (\(shown)); consentry reads ERN 3.8 to 4.3.2 (ern/38 to ern/432): ask its sender for a supported version"
            }
        }
        guard let problem else { return }
        if let bad = invalidUTF8, bad.offset < offset {
            failUTF8()
        } else {
            fail(line: line, offset: offset, problem, excerptFrom: offset)
        }
    }

    /// `38` → 380, `382` → 382, `411` → 411, `43` → 430.
    private static func version(_ digits: Substring) -> Int? {
        let values = digits.compactMap { $0.wholeNumberValue }
        guard values.count == digits.count else { return nil }
        return values[0] * 100 + values[1] * 10 + (values.count > 2 ? values[2] : 0)
    }

    /// Reads `IsDefault` and `TitleType` among SAX2's (localname, prefix, URI, value, end)
    /// attribute quintuples.
    private static func attributeFlags(_ count: Int, _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>) -> ERNMessageCollector.Attributes {
        var flags: ERNMessageCollector.Attributes = []
        for i in 0..<count {
            guard let name = attributes[5 * i], let value = attributes[5 * i + 3],
                  let end = attributes[5 * i + 4] else { continue }
            let text = trimmed(UnsafeBufferPointer(start: value, count: value.distance(to: end)))
            if equals(name, "IsDefault") {
                if text == "true" || text == "1" { flags.insert(.isDefault) }
            } else if equals(name, "TitleType") {
                if text == "DisplayTitle" { flags.insert(.displayTitleType) }
            }
        }
        return flags
    }

    /// Whether the NUL-terminated `name` is `expected`.
    private static func equals(_ name: UnsafePointer<xmlChar>, _ expected: StaticString) -> Bool {
        let count = expected.utf8CodeUnitCount
        return name.withMemoryRebound(to: CChar.self, capacity: count + 1) { left in
            expected.utf8Start.withMemoryRebound(to: CChar.self, capacity: count) { strncmp(left, $0, count) == 0 }
        } && name[count] == 0
    }

    /// The text without leading and trailing XML white space.
    private static func trimmed<C: RandomAccessCollection>(_ bytes: C) -> String where C.Element == UInt8, C.Index == Int {
        var start = bytes.startIndex
        var end = bytes.endIndex
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
        while start < end && isSpace(bytes[start]) { start += 1 }
        while end > start && isSpace(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

