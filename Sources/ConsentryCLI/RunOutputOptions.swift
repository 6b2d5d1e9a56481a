import ArgumentParser
import ConsentryEngine
import ConsentryModel
import ConsentryReports
import ConsentryStore
import Foundation

/// What `scan` and `merge` print and write once a run is recorded, and the thresholds that
/// turn a completed run into exit code 1.
struct RunOutputOptions: ParsableArguments {
    @Option(name: .customLong("max-reject-rate"), help: "Exit 1 when rejected/read exceeds this (0–1).")
    var maxRejectRate: Double?

    @Option(name: .customLong("max-exposed-share"), help: "Exit 1 when any policy's independent_exposed_share exceeds this (0–1).")
    var maxExposedShare: Double?

    @Option(name: .long, help: "text or json summary on standard output.")
    var format: ScanFormat = .text

    @Option(name: .customLong("metrics-file"), help: "Write Prometheus text-format metrics here (atomically) after the run.")
    var metricsFile: String?

    @Option(name: .long, help: "Progress line on standard error: auto (only on a terminal), always, never.")
    var progress: ProgressChoice = .auto

    @Flag(name: .long, help: "No text summary and no progress; a --format json object is still printed.")
    var quiet = false

    func validate() throws {
        if let r = maxRejectRate, !(0...1).contains(r) { throw ValidationError("--max-reject-rate must be between 0 and 1") }
        if let r = maxExposedShare, !(0...1).contains(r) { throw ValidationError("--max-exposed-share must be between 0 and 1") }
    }

    /// A progress line on standard error, when asked for (or on a terminal).
    func progressDisplay(_ counters: ScanProgress) -> ProgressDisplay? {
        let onTerminal = isatty(STDERR_FILENO) != 0
        guard !quiet && (progress == .always || (progress == .auto && onTerminal)) else { return nil }
        return ProgressDisplay(progress: counters, onTerminal: onTerminal)
    }

    /// Runs `body` (a scan or a merge into `database`) with signals turned into cancellation,
    /// then reports its run, or records the failure in the metrics file and rethrows.
    func record(database: String, cancellation: Cancellation, progress: ScanProgress? = nil,
                _ body: () throws -> RunReport) throws {
        let signals = SignalTrap(cancellation: cancellation)
        let started = Date()
        let display = progress.flatMap(progressDisplay)
        let report: RunReport
        do {
            defer { display?.stop() }
            report = try body()
        } catch {
            failed(database: database, started: started)
            throw error
        }
        withExtendedLifetime(signals) {}
        try finish(report, database: database, started: started)
    }

    /// Records a failed run in the metrics file, if there is one.
    private func failed(database: String, started: Date) {
        if let metricsFile { try? Metrics.writeFailure(to: metricsFile, database: database, started: started) }
    }

    /// Writes the metrics file, prints the summary, and throws when a threshold was crossed.
    private func finish(_ report: RunReport, database: String, started: Date) throws {
        var exceeded: [String] = []
        if let limit = maxRejectRate, report.rejectRate > limit {
            exceeded.append("reject rate \(report.rejectRate) exceeds --max-reject-rate \(limit)")
        }
        if let limit = maxExposedShare {
            for p in report.policies {
                if let share = p.independentExposedShare, share > limit {
                    exceeded.append("\(p.id): independent_exposed_share \(share) exceeds --max-exposed-share \(limit)")
                }
            }
        }
        if let metricsFile {
            do {
                try Metrics.write(report, to: metricsFile, database: database, started: started, finished: Date())
            } catch {
                Output.warn("cannot write the metrics file \(metricsFile): \(error)")
            }
        }
        switch format {
        case .json: Output.write(ReportRenderer.json(report) + "\n")
        case .text: if !quiet { Output.write(ReportRenderer.text(report)) }
        }
        if !exceeded.isEmpty {
            throw UnmetExpectation(code: "threshold_exceeded", label: "threshold", lines: exceeded)
        }
    }
}
