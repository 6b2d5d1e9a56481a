import ConsentryModel
import ConsentryStore
import Foundation
import Testing
import ConsentryReports
@testable import ConsentryCLI

@Suite("ConsentryCLI.exitCode(for:): the one place errors become exit codes")
struct ExitCodeTests {
    @Test("an interruption exits 128 + the signal: 143 for SIGTERM, 130 for SIGINT")
    func interrupted() {
        #expect(ConsentryCLI.exitCode(for: ScanInterrupted(signal: SIGTERM)) == 143)
        #expect(ConsentryCLI.exitCode(for: ScanInterrupted(signal: SIGINT)) == 130)
        #expect(ConsentryCLI.exitCode(for: ScanInterrupted(signal: SIGINT, outcome: ScanInterrupted.outcome(writing: "r.html"))) == 130)
    }

    @Test("a database held by another scan exits 75; every other database problem 2")
    func store() {
        #expect(ConsentryCLI.exitCode(for: StoreError(.locked, "another scan holds the database", file: "r.sqlite")) == 75)
        let others: [StoreError.Code] = [.notADatabase, .notConsentry, .newerSchema, .readOnly, .diskFull, .io, .missing, .runNotFound, .other]
        for kind in others {
            #expect(ConsentryCLI.exitCode(for: StoreError(kind, "problem", file: "r.sqlite")) == 2, "\(kind)")
        }
    }

    @Test("policy problems and usage errors exit 64")
    func usage() {
        let kinds: [PolicyError.Code] = [.unknownPolicy, .unreadable, .invalidYAML, .invalid, .duplicate, .invalidTest]
        for kind in kinds {
            #expect(ConsentryCLI.exitCode(for: PolicyError(kind, "problem", file: "p.yaml", line: 3)) == 64, "\(kind)")
        }
        #expect(ConsentryCLI.exitCode(for: UsageError("usage", "bad arguments")) == 64)
    }

    @Test("a crossed threshold or a failing policy test exits 1")
    func unmet() {
        #expect(ConsentryCLI.exitCode(for: UnmetExpectation(code: "threshold_exceeded", label: "threshold",
                                                            lines: ["reject rate 0.5 exceeds --max-reject-rate 0.1"])) == 1)
        #expect(ConsentryCLI.exitCode(for: UnmetExpectation(code: "policy_tests_failed", label: "policy test", lines: [])) == 1)
    }

    @Test("input and output problems exit 2")
    func inputAndOutput() {
        let inputKinds: [InputError.Code] = [.unreadable, .notFound, .gzipCorrupt, .gzipTruncated, .gzipTrailingGarbage,
                                             .missingColumn, .badHeader, .noInputs, .empty]
        for kind in inputKinds {
            #expect(ConsentryCLI.exitCode(for: InputError(kind, "problem", file: "a.csv", line: 1)) == 2, "\(kind)")
        }
        let outputKinds: [OutputError.Code] = [.badTarget, .diskFull, .io]
        for kind in outputKinds {
            #expect(ConsentryCLI.exitCode(for: OutputError(kind, "problem", file: "out.html")) == 2, "\(kind)")
        }
    }

    @Test("an error's description is FILE:LINE: message; remedy, leaving out what is unknown")
    func descriptions() {
        #expect(PolicyError(.invalid, "bad verdict", remedy: "use exposed, consented or blocked", file: "p.yaml", line: 7).description
                == "p.yaml:7: bad verdict; use exposed, consented or blocked")
        #expect(StoreError(.locked, "held by pid 12", file: "r.sqlite").description == "r.sqlite: held by pid 12")
        #expect(UsageError("usage", "bad").description == "bad")
        #expect(UnmetExpectation(code: "threshold_exceeded", label: "threshold", lines: ["a", "b"]).description == "a; b")
    }
}
