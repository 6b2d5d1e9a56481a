import Foundation

/// A command stopped by a signal (contract §6: exit 130 or 143).
public struct ScanInterrupted: ConsentryError {
    public let signal: Int32
    /// What the interruption left, for the message: a scan's run is marked failed, an
    /// export's or report's output file is left as it was.
    public let outcome: String
    public var code: String { "interrupted" }
    public var message: String {
        "interrupted by signal \(signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : String(signal)); \(outcome)"
    }
    public var file: String? { nil }
    public var line: Int? { nil }

    /// A scan's outcome: its run is marked failed.
    public static let runMarkedFailed = "the run was marked failed"

    public init(signal: Int32, outcome: String = runMarkedFailed) {
        self.signal = signal
        self.outcome = outcome
    }

    /// What an interrupted command that writes to `output` (nil: standard output) leaves.
    public static func outcome(writing output: String?) -> String {
        output.map { "\($0) was not changed" } ?? "the output is incomplete"
    }
}
